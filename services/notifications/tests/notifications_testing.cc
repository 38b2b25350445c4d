#include "services/notifications/tests/notifications_testing.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/catalogue.h"
#include "common/ids/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "stellenwerk/events/v1/meta.pb.h"

namespace stellenwerk::notifications {

int TestSmtpPort() {
  const char* p = std::getenv("STW_SMTP_PORT");
  return p != nullptr ? std::atoi(p) : 3525;
}

SmtpConfig TestSmtpConfig(int port) {
  SmtpConfig c;
  c.url = absl::StrCat("smtp://127.0.0.1:", port == 0 ? TestSmtpPort() : port);
  // The sink offers STARTTLS with a self-signed certificate and AUTH (any credentials).
  c.tls = "starttls";
  c.verify_peer = false;
  c.user = "stellenwerk";
  c.password = "test";
  c.senders = 2;
  c.connect_timeout = absl::Seconds(2);
  c.timeout = absl::Seconds(10);
  return c;
}

NotificationsUnderTest& StartNotifications(stellenwerk::testing::Harness& harness,
                                           stellenwerk::testing::ServiceOptions options,
                                           SmtpConfig smtp, RetryPolicy retry) {
  return harness.Start<NotificationsApp>(kNotificationsService, std::move(options), std::move(smtp),
                                         retry);
}

std::vector<SinkMessage> MessagesTo(const std::string& dir, const std::string& rcpt) {
  std::vector<SinkMessage> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".eml") continue;
    std::filesystem::path json = entry.path();
    json.replace_extension(".json");
    std::ifstream j(json);
    if (!j) continue;
    nlohmann::json envelope = nlohmann::json::parse(j, nullptr, false);
    if (envelope.is_discarded()) continue;
    SinkMessage m;
    m.eml_path = entry.path().string();
    bool match = false;
    for (const auto& r : envelope["rcpt_tos"]) {
      m.rcpt_tos.push_back(r.get<std::string>());
      if (r.get<std::string>() == rcpt) match = true;
    }
    if (!match) continue;
    std::ifstream e(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << e.rdbuf();
    m.raw = ss.str();
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<SinkMessage> WaitForMessages(const std::string& dir, const std::string& rcpt,
                                         size_t count, absl::Duration timeout) {
  std::vector<SinkMessage> found;
  stellenwerk::testing::WaitFor(
      [&] {
        found = MessagesTo(dir, rcpt);
        return found.size() >= count;
      },
      timeout, absl::Milliseconds(50));
  return found;
}

int CheckMail(const std::string& eml_path, const std::vector<std::string>& args, std::string* out) {
  std::string cmd = absl::StrCat("/usr/bin/python3 ", STW_SOURCE_DIR,
                                 "/tests/tools/check_mail.py '", eml_path, "'");
  for (const auto& a : args) absl::StrAppend(&cmd, " '", a, "'");
  absl::StrAppend(&cmd, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

double MetricSample(Runtime& runtime, const std::string& name,
                    const std::map<std::string, std::string>& labels) {
  std::vector<prometheus::MetricFamily> families = runtime.metrics().registry().Collect();
  for (auto& f : runtime.metrics().sampled().Collect()) families.push_back(std::move(f));
  double total = 0;
  for (const auto& f : families) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      size_t matched = 0;
      for (const auto& l : m.label) {
        auto it = labels.find(l.name);
        if (it != labels.end() && it->second == l.value) ++matched;
      }
      if (matched != labels.size()) continue;
      switch (f.type) {
        case prometheus::MetricType::Counter:
          total += m.counter.value;
          break;
        case prometheus::MetricType::Gauge:
          total += m.gauge.value;
          break;
        case prometheus::MetricType::Histogram:
          total += static_cast<double>(m.histogram.sample_count);
          break;
        default:
          break;
      }
    }
  }
  return total;
}

events::v1::ApplicationSubmitted SubmittedEvent(const std::string& email,
                                                const std::string& kennziffer) {
  events::v1::ApplicationSubmitted e;
  e.set_application_id(ids::NewUuid());
  e.set_posting_id(ids::NewUuid());
  e.set_applicant_sub(absl::StrCat("applicant-", ids::NewUuid()));
  e.set_kennziffer(kennziffer);
  e.set_posting_title("Sachbearbeiter*in (w/m/d) Bürgerbüro");
  e.mutable_contact()->set_email(email);
  e.mutable_contact()->set_given_name("Jördis");
  e.mutable_contact()->set_family_name("Müller-Lüdenscheidt");
  return e;
}

}  // namespace stellenwerk::notifications

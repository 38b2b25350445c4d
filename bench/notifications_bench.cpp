// Notifications (issue 13): event-to-SMTP-accepted latency p50/p99 at a paced 100 events/s,
// and the sustainable rate (a burst of events until every mail is accepted by the sink) as a
// ratio of a bare libcurl sender pushing pre-rendered messages to the same sink over the same
// number of connections (with the same STARTTLS/AUTH), alternated in rounds.
//
// The subject is the service's whole path: AMQP delivery → consumer transaction (dedup,
// settings, template, inbox item, delivery intent) → dispatcher claim (FOR UPDATE SKIP
// LOCKED) → SMTP → commit with the outbox row of notification.delivered.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/load.h"
#include "common/amqp/connection.h"
#include "common/events/catalogue.h"
#include "common/ids/uuid.h"
#include "common/logging/log.h"
#include "google/protobuf/util/time_util.h"
#include "services/notifications/app.h"
#include "services/notifications/domain/mail_message.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::notifications {
namespace {

using bench::LoadResult;

amqp::Message Wire(events::v1::ApplicationSubmitted& e, const std::string& tenant) {
  const absl::Time now = absl::Now();
  e.mutable_meta()->set_event_id(ids::NewUuid());
  e.mutable_meta()->set_tenant_id(tenant);
  e.mutable_meta()->set_correlation_id(ids::NewUuid());
  *e.mutable_meta()->mutable_occur_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  amqp::Message m;
  m.message_id = e.meta().event_id();
  m.type = events::RoutingKey<events::v1::ApplicationSubmitted>();
  m.tenant_id = tenant;
  m.correlation_id = e.meta().correlation_id();
  m.timestamp = now;
  m.body = e.SerializeAsString();
  return m;
}

events::v1::ApplicationSubmitted Event(int i, const std::string& run) {
  events::v1::ApplicationSubmitted e;
  e.set_application_id(ids::NewUuid());
  e.set_posting_id(ids::NewUuid());
  e.set_applicant_sub(absl::StrCat("bench-", run, "-", i));
  e.set_kennziffer("25/0042");
  e.set_posting_title("Sachbearbeiter*in (w/m/d) Bürgerbüro");
  e.mutable_contact()->set_email(absl::StrCat("bench-", run, "-", i, "@example.de"));
  e.mutable_contact()->set_given_name("Jördis");
  e.mutable_contact()->set_family_name("Müller-Lüdenscheidt");
  return e;
}

int CountSent(pg::Pool& db, const std::string& tenant) {
  int n = 0;
  (void)db.Read([&](pqxx::work& tx) {
    n = tx.exec_params("SELECT count(*) FROM deliveries WHERE tenant_id = $1 AND status = 'SENT'",
                       tenant)[0][0]
            .as<int>();
    return absl::OkStatus();
  });
  return n;
}

}  // namespace
}  // namespace stellenwerk::notifications

int main(int argc, char** argv) {
  using namespace stellenwerk;
  using namespace stellenwerk::notifications;
  auto flags = bench::Flags(argc, argv);
  const int rounds = bench::IntFlag(flags, "rounds", 3);
  const int burst = bench::IntFlag(flags, "burst", 400);
  const int rate = bench::IntFlag(flags, "rate", 100);
  const int seconds = bench::IntFlag(flags, "latency-seconds", 10);
  const int senders = bench::IntFlag(flags, "senders", 2);
  logging::Init("notifications_bench", "warn");

  config::RuntimeConfig cfg;
  cfg.service = absl::StrCat("notifications_bench_", ids::NewUuid().substr(0, 8));
  cfg.pg_uri = bench::StrFlag(flags, "pg");
  cfg.amqp_uri = bench::StrFlag(flags, "amqp");
  cfg.jwt_hs256_secret = "bench-secret-bench-secret-bench-secret";
  cfg.bind = "127.0.0.1";
  SmtpConfig smtp;
  smtp.url = absl::StrCat("smtp://127.0.0.1:", bench::StrFlag(flags, "smtp-port", "2525"));
  smtp.tls = bench::StrFlag(flags, "tls", "starttls");
  smtp.verify_peer = false;
  smtp.user = "bench";
  smtp.password = "bench";
  smtp.senders = senders;
  NotificationsApp app(cfg, smtp);
  if (absl::Status s = app.Init(); !s.ok()) {
    std::cerr << "init: " << s << "\n";
    return 1;
  }
  if (absl::Status s = app.runtime().Start(); !s.ok()) {
    std::cerr << "start: " << s << "\n";
    return 1;
  }
  auto conn = amqp::Connection::Open(cfg.amqp_uri, absl::Seconds(5));
  if (!conn.ok() || !(*conn)->DeclareTopology().ok() || !(*conn)->EnableConfirms().ok()) {
    std::cerr << "amqp: cannot publish\n";
    return 1;
  }
  const std::string run = ids::NewUuid().substr(0, 8);
  bench::Verdict verdict("notifications");

  // --- sustainable rate: service vs bare libcurl sender, alternated ---
  // A pre-rendered message of the service's shape (same size, same MIME).
  MailMessage sample;
  sample.from = {"Stadt Herne", "bewerbung@herne.example.de"};
  sample.to = {"Jördis Müller-Lüdenscheidt", "baseline@example.de"};
  sample.subject = "Eingangsbestätigung Ihrer Bewerbung – Kennziffer 25/0042 – Bürgerbüro";
  sample.text = std::string(900, 'x');
  sample.message_id = "baseline@bench";
  sample.date = absl::Now();
  const std::string bytes = RenderMessage(sample);

  auto baseline = [&](int) {
    std::atomic<int> next{0};
    std::atomic<uint64_t> errors{0};
    const absl::Time t0 = absl::Now();
    std::vector<std::thread> threads;
    for (int s = 0; s < senders; ++s) {
      threads.emplace_back([&] {
        CurlSmtpSender sender(smtp);
        while (next.fetch_add(1) < burst) {
          if (sender.Send("bewerbung@herne.example.de", "baseline@example.de", bytes).kind !=
              SendOutcome::kAccepted) {
            ++errors;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    LoadResult r;
    r.name = "bare libcurl";
    r.concurrency = senders;
    r.errors = errors;
    r.calls = burst - errors;
    r.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    return r;
  };
  int round_no = 0;
  auto subject = [&](int) {
    const std::string tenant = absl::StrCat("bench-", run, "-burst-", round_no++);
    std::vector<amqp::Message> batch;
    for (int i = 0; i < burst; ++i) {
      auto e = Event(i, absl::StrCat(run, round_no));
      batch.push_back(Wire(e, tenant));
    }
    const absl::Time t0 = absl::Now();
    for (size_t i = 0; i < batch.size(); i += 100) {
      std::vector<amqp::Message> part(batch.begin() + i,
                                      batch.begin() + std::min(batch.size(), i + 100));
      (void)(*conn)->PublishConfirmed(part, absl::Seconds(10));
    }
    int sent = 0;
    const absl::Time deadline = t0 + absl::Seconds(120);
    while ((sent = CountSent(app.runtime().db(), tenant)) < burst && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    LoadResult r;
    r.name = "notifications";
    r.concurrency = senders;
    r.calls = sent;
    r.errors = burst - sent;
    r.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    return r;
  };
  auto rr = bench::RunRounds(
      absl::StrCat("burst of ", burst, " acknowledgments: notifications / bare libcurl"), rounds,
      baseline, subject);
  std::cout << bench::FormatRounds(rr) << "\n";
  verdict.NoErrors(rr);

  // --- latency at a paced rate ---
  const std::string tenant = absl::StrCat("bench-", run, "-paced");
  std::map<std::string, absl::Time> published;  // application id → publish instant
  const int total = rate * seconds;
  const absl::Time t0 = absl::Now();
  for (int i = 0; i < total; ++i) {
    const absl::Time due = t0 + absl::Seconds(1) * i / rate;
    if (absl::Now() < due) absl::SleepFor(due - absl::Now());
    auto e = Event(i, absl::StrCat(run, "p"));
    const amqp::Message m = Wire(e, tenant);
    published[e.application_id()] = absl::Now();
    (void)(*conn)->PublishConfirmed({m}, absl::Seconds(10));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (CountSent(app.runtime().db(), tenant) < total && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  std::vector<double> ms;
  (void)app.runtime().db().Read([&](pqxx::work& tx) {
    for (const auto& row : tx.exec_params(
             "SELECT application_id, micros(sent_at) FROM deliveries WHERE tenant_id = $1 AND"
             " status = 'SENT'",
             tenant)) {
      auto it = published.find(row[0].as<std::string>());
      if (it == published.end()) continue;
      ms.push_back(absl::ToDoubleMilliseconds(pg::FromMicros(row[1]) - it->second));
    }
    return absl::OkStatus();
  });
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  std::cout << "paced " << rate << " events/s for " << seconds << " s: " << ms.size() << " of "
            << total << " accepted by the sink; event-to-SMTP-accepted p50 " << pct(0.50)
            << " ms, p99 " << pct(0.99) << " ms, max " << (ms.empty() ? 0 : ms.back()) << " ms\n";
  verdict.Check(static_cast<int>(ms.size()) == total,
                absl::StrCat("every paced event accepted (", ms.size(), "/", total, ")"));
  app.runtime().Shutdown();
  return verdict.Finish();
}

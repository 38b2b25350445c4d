#pragma once
// The notifications service for the test harness, and helpers to read the SMTP sink's
// messages (tests/tools/smtp_sink.py: <dir>/<stamp>.eml with <stamp>.json envelope).

#include <map>
#include <string>
#include <vector>

#include "common/amqp/connection.h"
#include "common/testing/events.h"
#include "common/testing/harness.h"
#include "services/notifications/app.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/notifications/v1/notifications.grpc.pb.h"

namespace stellenwerk::notifications {

inline const stellenwerk::testing::ServiceDef kNotificationsService{
    .name = "notifications",
    .binary = "services/notifications/stellenwerk-notifications",
    .consumes = true};

using NotificationsUnderTest = stellenwerk::testing::InProcess<NotificationsApp>;

// The test stack's sink (STW_SMTP_PORT of scripts/test), with STARTTLS and AUTH as it offers.
SmtpConfig TestSmtpConfig(int port = 0);
int TestSmtpPort();

NotificationsUnderTest& StartNotifications(stellenwerk::testing::Harness& harness,
                                           stellenwerk::testing::ServiceOptions options = {},
                                           SmtpConfig smtp = TestSmtpConfig(),
                                           RetryPolicy retry = {});

struct SinkMessage {
  std::string eml_path;
  std::vector<std::string> rcpt_tos;
  std::string raw;
};
// Every message in the sink directory addressed to `rcpt`.
std::vector<SinkMessage> MessagesTo(const std::string& smtp_dir, const std::string& rcpt);
// Waits until at least `count` messages to `rcpt` are there; returns them.
std::vector<SinkMessage> WaitForMessages(const std::string& smtp_dir, const std::string& rcpt,
                                         size_t count, absl::Duration timeout = absl::Seconds(20));

// Runs tests/tools/check_mail.py on a message: the exit status (0 = parsed, checks held) and
// its output in *out.
int CheckMail(const std::string& eml_path, const std::vector<std::string>& args, std::string* out);

// Events onto the broker as a relay would send them (common/testing/events.h).
using stellenwerk::testing::PublishToExchange;
using stellenwerk::testing::WireMessage;

// One sample of the process's metrics (registry and scrape-time gauges) whose labels include
// `labels`: a counter's or gauge's value, a histogram's sample count; 0 when there is none.
double MetricSample(Runtime& runtime, const std::string& name,
                    const std::map<std::string, std::string>& labels = {});

// A submitted application as applications publishes it, to `email` (unique per test).
events::v1::ApplicationSubmitted SubmittedEvent(const std::string& email,
                                                const std::string& kennziffer = "24/0815");

}  // namespace stellenwerk::notifications

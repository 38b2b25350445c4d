#include "services/notifications/adapters/delivery_metrics.h"

#include <optional>
#include <string>

#include "common/pg/pool.h"
#include "stellenwerk/notifications/v1/notifications.pb.h"

namespace stellenwerk::notifications {
namespace {

// One number from one statement ($1: `now`, when given); nullopt (the sample is left out) when
// the database does not answer.
std::optional<double> Scalar(pg::Pool& db, const std::string& sql, const std::string& now = "") {
  std::optional<double> out;
  absl::Status st = db.ReadStatement([&](pqxx::nontransaction& tx) -> absl::Status {
    out = (now.empty() ? tx.exec1(sql) : tx.exec_params1(sql, now))[0].as<double>();
    return absl::OkStatus();
  });
  if (!st.ok()) return std::nullopt;
  return out;
}

}  // namespace

DeliveryMetrics::DeliveryMetrics(metrics::Metrics& m, pg::Pool& db, const Clock& clock)
    : deliveries_(
          prometheus::BuildCounter()
              .Name("stellenwerk_notifications_deliveries_total")
              .Help("delivery attempts by kind, channel and outcome (sent, retried, failed)")
              .Labels({{"service", "notifications"}})
              .Register(m.registry())),
      smtp_seconds_(prometheus::BuildHistogram()
                        .Name("stellenwerk_notifications_smtp_send_seconds")
                        .Help("one SMTP transaction (MAIL FROM to the reply after DATA)")
                        .Labels({{"service", "notifications"}})
                        .Register(m.registry())),
      delivery_seconds_(prometheus::BuildHistogram()
                            .Name("stellenwerk_notifications_delivery_seconds")
                            .Help("from the recorded intent to the relay's acceptance")
                            .Labels({{"service", "notifications"}})
                            .Register(m.registry())) {
  using Kind = metrics::Sampled::Kind;
  auto now = [&clock] { return pg::ToPgTimestamp(clock.Now()); };
  m.sampled().Add("stellenwerk_notifications_pending_deliveries",
                  "deliveries waiting to be sent (due or in backoff)", Kind::kGauge, [&db] {
                    return Scalar(
                        db, "SELECT count(*)::float8 FROM deliveries WHERE status = 'PENDING'");
                  });
  m.sampled().Add("stellenwerk_notifications_oldest_pending_seconds",
                  "age of the oldest delivery not yet sent (service clock; 0 when none)",
                  Kind::kGauge, [&db, now] {
                    return Scalar(db,
                                  "SELECT greatest(coalesce(extract(epoch FROM $1::timestamptz"
                                  " - min(create_time)), 0), 0)::float8 FROM deliveries"
                                  " WHERE status = 'PENDING'",
                                  now());
                  });
}

void DeliveryMetrics::Observe(const SendReport& r) {
  const std::string kind = v1::NotificationKind_Name(static_cast<v1::NotificationKind>(r.kind));
  const std::string outcome(OutcomeName(r.outcome));
  deliveries_.Add({{"kind", kind}, {"channel", "EMAIL"}, {"outcome", outcome}}).Increment();
  if (r.smtp > absl::ZeroDuration()) {
    smtp_seconds_
        .Add({{"outcome", outcome}},
             prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25, 0.5, 1, 2.5, 5, 10, 30})
        .Observe(absl::ToDoubleSeconds(r.smtp));
  }
  if (r.outcome == DeliveryOutcome::kSent) {
    delivery_seconds_
        .Add({{"kind", kind}},
             prometheus::Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                                     10, 30, 60, 300, 1800, 7200})
        .Observe(absl::ToDoubleSeconds(r.pending));
  }
}

}  // namespace stellenwerk::notifications

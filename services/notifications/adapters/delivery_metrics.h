#pragma once
// The notifications service's own Prometheus families, on the process registry of
// common/metrics (served with the RPC and backlog metrics on STELLENWERK_METRICS_PORT):
//   stellenwerk_notifications_deliveries_total{kind,channel,outcome}  sent | retried | failed
//   stellenwerk_notifications_smtp_send_seconds{outcome}   one SMTP transaction (histogram)
//   stellenwerk_notifications_delivery_seconds{kind}      intent recorded → relay's 250
//   stellenwerk_notifications_pending_deliveries           PENDING rows (read at scrape time)
//   stellenwerk_notifications_oldest_pending_seconds       age of the oldest PENDING row
// Counters move only after the dispatcher's transaction committed.

#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "common/pg/pool.h"
#include "services/notifications/domain/mail_sender.h"

namespace stellenwerk::notifications {

class DeliveryMetrics {
 public:
  // Registers the families on `metrics` and the scrape-time gauges reading `db` (the age
  // by the service's `clock`, like the timers' lag).
  DeliveryMetrics(metrics::Metrics& metrics, pg::Pool& db, const Clock& clock);

  void Observe(const SendReport& report);

 private:
  prometheus::Family<prometheus::Counter>& deliveries_;
  prometheus::Family<prometheus::Histogram>& smtp_seconds_;
  prometheus::Family<prometheus::Histogram>& delivery_seconds_;
};

}  // namespace stellenwerk::notifications

// Metrics sampled at scrape time carry the service label and their own, and a reader that
// cannot answer leaves its sample out rather than report a made-up value.
#include "common/metrics/metrics.h"

#include "gtest/gtest.h"

namespace stellenwerk::metrics {
namespace {

TEST(Sampled, ReadsEachValueWhenCollectedWithItsLabels) {
  Sampled s("applications");
  double backlog = 3;
  s.Add("stellenwerk_outbox_pending_events", "pending", Sampled::Kind::kGauge,
        [&] { return std::optional<double>(backlog); });
  s.Add("stellenwerk_consumer_dead_lettered_total", "dead", Sampled::Kind::kCounter,
        [] { return std::optional<double>(7); }, {{"queue", "stellenwerk.applications"}});
  s.Add("stellenwerk_timers_oldest_overdue_seconds", "down", Sampled::Kind::kGauge,
        [] { return std::optional<double>(); });

  backlog = 5;  // read at collection, not at registration
  const auto families = s.Collect();
  ASSERT_EQ(families.size(), 2u) << "the unanswered reader is left out";
  EXPECT_EQ(families[0].name, "stellenwerk_outbox_pending_events");
  EXPECT_EQ(families[0].type, prometheus::MetricType::Gauge);
  ASSERT_EQ(families[0].metric.size(), 1u);
  EXPECT_EQ(families[0].metric[0].gauge.value, 5);
  ASSERT_EQ(families[0].metric[0].label.size(), 1u);
  EXPECT_EQ(families[0].metric[0].label[0].name, "service");
  EXPECT_EQ(families[0].metric[0].label[0].value, "applications");

  EXPECT_EQ(families[1].type, prometheus::MetricType::Counter);
  EXPECT_EQ(families[1].metric[0].counter.value, 7);
  ASSERT_EQ(families[1].metric[0].label.size(), 2u);
  EXPECT_EQ(families[1].metric[0].label[1].name, "queue");
  EXPECT_EQ(families[1].metric[0].label[1].value, "stellenwerk.applications");
}

}  // namespace
}  // namespace stellenwerk::metrics

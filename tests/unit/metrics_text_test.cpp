// The /metrics text as rendered from a snapshot, and the counters behind it:
// histogram buckets, requests by webhook and status, stored hooks by a
// bounded set of event labels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/metrics_text.hpp"
#include "chronohook/counters.hpp"
#include "chronohook/event_names.hpp"

namespace chronohook::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MetricsSnapshot snapshot_of(const Counters& c) {
  MetricsSnapshot m;
  m.counters = c.snapshot();
  m.version = "1.2.3-test";
  m.health.queued = 3;
  m.health.queue_capacity = 4096;
  m.database_bytes = 8192;
  m.ready = true;
  return m;
}

TEST(MetricsText, AHistogramHasCumulativeBucketsInSecondsAnInfBucketASumAndACount) {
  Counters c;
  c.commit_micros.observe(90);         // <= 100 us
  c.commit_micros.observe(100);        // <= 100 us: le is inclusive
  c.commit_micros.observe(3'000);      // <= 5 ms
  c.commit_micros.observe(60'000'000); // beyond 10 s
  const std::string text = render_metrics(snapshot_of(c));
  EXPECT_THAT(text, HasSubstr("# TYPE chronohook_commit_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_commit_duration_seconds_bucket{le=\"0.0001\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_commit_duration_seconds_bucket{le=\"0.0025\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_commit_duration_seconds_bucket{le=\"0.005\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_commit_duration_seconds_bucket{le=\"10\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_commit_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_commit_duration_seconds_sum 60.00319\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_commit_duration_seconds_count 4\n"));
}

TEST(MetricsText, RequestsAreCountedByRegisteredWebhookAndKnownStatusOnly) {
  Counters c;
  c.requests_by_status.register_webhooks({"main", "billing-app"});
  c.requests_by_status.count("main", 200);
  c.requests_by_status.count("main", 200);
  c.requests_by_status.count("billing-app", 401);
  c.requests_by_status.count("", 404);
  c.requests_by_status.count("not-registered", 418);
  const std::string text = render_metrics(snapshot_of(c));
  EXPECT_THAT(text, HasSubstr("chronohook_requests_total{webhook=\"main\",code=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_requests_total{webhook=\"billing-app\",code=\"401\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_requests_total{webhook=\"(none)\",code=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_requests_total{webhook=\"(none)\",code=\"other\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("not-registered")));
  EXPECT_THAT(text, Not(HasSubstr("418")));
}

TEST(MetricsText, StoredHooksHaveOneLabelPerKnownEventAndOtherForTheRest) {
  Counters c;
  c.count_stored("APPOINTMENT_CREATE");
  c.count_stored("PATIENT_FLAG_MODIFY");
  c.count_stored("PATIENT_FLAG_CMODIFY");
  c.count_stored("PING");
  c.count_stored("BRAND_NEW_EVENT");
  c.count_stored("ANOTHER_ONE");
  const std::string text = render_metrics(snapshot_of(c));
  EXPECT_THAT(text, HasSubstr("chronohook_hooks_stored_total{event=\"APPOINTMENT_CREATE\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_hooks_stored_total{event=\"PATIENT_FLAG_CMODIFY\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_hooks_stored_total{event=\"PING\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_hooks_stored_total{event=\"other\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_hooks_stored_total{event=\"VACCINE_ADMINISTERED\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("BRAND_NEW_EVENT")));
  EXPECT_THAT(text, Not(HasSubstr("event=\"PATIENT_FLAG_MODIFY\"")));
  std::size_t labels = 0;
  for (std::size_t at = text.find("chronohook_hooks_stored_total{"); at != std::string::npos;
       at = text.find("chronohook_hooks_stored_total{", at + 1)) {
    ++labels;
  }
  EXPECT_EQ(labels, kEventMetricLabels + 1);
}

TEST(MetricsText, EveryKnownEventNameHasItsOwnLabel) {
  EXPECT_EQ(event_metric_index("PATIENT_FLAG_MODIFY"), event_metric_index("PATIENT_FLAG_CMODIFY"));
  EXPECT_EQ(event_metric_index("NOT_KNOWN"), kEventMetricLabels);
  EXPECT_EQ(event_metric_label(kEventMetricLabels), "other");
  for (std::size_t i = 0; i < kEventMetricLabels; ++i) {
    const std::string_view label = event_metric_label(i);
    EXPECT_TRUE(is_known_event_name(label)) << label;
    EXPECT_EQ(event_metric_index(label), i) << label;
  }
}

TEST(MetricsText, EscapesTheVersionLabelAndGivesEveryFamilyHelpAndType) {
  Counters c;
  MetricsSnapshot m = snapshot_of(c);
  m.version = "1.0 \"quoted\" \\ back\nslash";
  const std::string text = render_metrics(m);
  EXPECT_THAT(text, HasSubstr(R"(chronohook_build_info{version="1.0 \"quoted\" \\ back\nslash"} 1)"));
  std::size_t helps = 0, types = 0;
  for (std::size_t at = text.find("# HELP "); at != std::string::npos; at = text.find("# HELP ", at + 1)) ++helps;
  for (std::size_t at = text.find("# TYPE "); at != std::string::npos; at = text.find("# TYPE ", at + 1)) ++types;
  EXPECT_EQ(helps, types);
  EXPECT_GE(helps, 20u);
  EXPECT_THAT(text, HasSubstr("chronohook_queue_depth 3\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_database_size_bytes 8192\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_database_wal_size_bytes 0\n"));
  EXPECT_THAT(text, HasSubstr("chronohook_ready 1\n"));
}

}  // namespace
}  // namespace chronohook::admin

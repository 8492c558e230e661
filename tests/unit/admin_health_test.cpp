// /healthz, /readyz and /metrics as the pure admin handler decides them, and
// the readiness rules over a snapshot of the daemon's state.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "admin/handler.hpp"
#include "admin/health.hpp"

namespace chronohook::admin {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kConsumerToken = "tok-billing-0123456789abcdef";
constexpr std::string_view kMetricsToken = "tok-metrics-76543210fedcba98";

Handler open_metrics() {
  return Handler(std::vector<Consumer>{{"billing", Secret(std::string(kConsumerToken))}});
}

Handler guarded_metrics() {
  return Handler(std::vector<Consumer>{{"billing", Secret(std::string(kConsumerToken))}},
                 Secret(std::string(kMetricsToken)));
}

Decision ask(const Handler& h, std::string_view target, std::optional<std::string_view> auth = std::nullopt,
             std::string_view method = "GET") {
  return h.decide(Request{method, target, auth, ""});
}

std::optional<Endpoint> probe_of(const Decision& d) {
  if (const auto* p = std::get_if<Probe>(&d)) return p->endpoint;
  return std::nullopt;
}

int status_of(const Decision& d) {
  const auto* r = std::get_if<Reply>(&d);
  return r != nullptr ? r->status : 0;
}

// A healthy daemon, a moment after an idle probe.
Health healthy() {
  Health h;
  h.webhook_listening = true;
  h.writer_progress_age = milliseconds(200);
  h.since_write_ok = milliseconds(200);
  h.since_commit_ok = seconds(40);
  h.queued = 0;
  h.queue_capacity = 4096;
  return h;
}

std::string joined(const std::vector<std::string>& reasons) {
  std::string out;
  for (const std::string& r : reasons) out += r + "\n";
  return out;
}

TEST(AdminHealth, HealthAndReadinessNeedNoTokenAndMetricsNoneUnlessConfigured) {
  const Handler h = open_metrics();
  EXPECT_EQ(probe_of(ask(h, "/healthz")), Endpoint::kHealth);
  EXPECT_EQ(probe_of(ask(h, "/readyz")), Endpoint::kReady);
  EXPECT_EQ(probe_of(ask(h, "/metrics")), Endpoint::kMetrics);
  EXPECT_EQ(probe_of(ask(h, "/readyz?verbose=1")), Endpoint::kReady);
  // Not prefixes: anything else is the token-guarded API.
  EXPECT_EQ(status_of(ask(h, "/healthz/x")), 401);
  EXPECT_EQ(status_of(ask(h, "/v1/healthz")), 401);
}

TEST(AdminHealth, ProbesTakeOnlyGet) {
  const Handler h = open_metrics();
  for (std::string_view path : {"/healthz", "/readyz", "/metrics"}) {
    const Decision d = ask(h, path, std::nullopt, "POST");
    ASSERT_EQ(status_of(d), 405) << path;
    EXPECT_TRUE(std::get<Reply>(d).allow_get);
  }
}

TEST(AdminHealth, AConfiguredMetricsTokenGuardsMetricsOnly) {
  const Handler h = guarded_metrics();
  const std::string good = "Bearer " + std::string(kMetricsToken);
  const std::string consumer = "Bearer " + std::string(kConsumerToken);
  EXPECT_EQ(probe_of(ask(h, "/metrics", good)), Endpoint::kMetrics);
  EXPECT_EQ(probe_of(ask(h, "/metrics", "bearer  " + std::string(kMetricsToken))), Endpoint::kMetrics);
  for (std::optional<std::string_view> bad :
       {std::optional<std::string_view>{}, std::optional<std::string_view>{consumer},
        std::optional<std::string_view>{"Bearer tok-metrics-76543210fedcba9"}, std::optional<std::string_view>{""}}) {
    const Decision d = ask(h, "/metrics", bad);
    ASSERT_EQ(status_of(d), 401) << bad.value_or("<none>");
    EXPECT_TRUE(std::get<Reply>(d).www_authenticate);
    EXPECT_EQ(std::get<Reply>(d).body.find(kMetricsToken), std::string::npos);
  }
  EXPECT_EQ(probe_of(ask(h, "/healthz")), Endpoint::kHealth);
  EXPECT_EQ(probe_of(ask(h, "/readyz")), Endpoint::kReady);
  // The metrics token is not a consumer's.
  EXPECT_EQ(status_of(ask(h, "/v1/events", good)), 401);
}

TEST(AdminHealth, HealthzAnswers200WithJson) {
  const Reply r = Handler::health();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.content_type, "application/json");
}

TEST(AdminHealth, AHealthyDaemonIsReady) {
  EXPECT_TRUE(not_ready_reasons(healthy()).empty());
  const Reply r = Handler::readiness(healthy());
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("status":"ready")"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("reasons"), std::string::npos) << r.body;
}

TEST(AdminHealth, DrainingOrAListenerNotAcceptingIsNotReady) {
  Health h = healthy();
  h.draining = true;
  EXPECT_NE(joined(not_ready_reasons(h)).find("shutting down"), std::string::npos);
  h = healthy();
  h.webhook_listening = false;
  EXPECT_NE(joined(not_ready_reasons(h)).find("webhook listener"), std::string::npos);
}

TEST(AdminHealth, AWriterWaitingSecondsForAnotherProcesssLockIsNotReady) {
  Health h = healthy();
  h.lock_wait = milliseconds(500);  // a moment's wait is normal
  h.writer_progress_age = milliseconds(700);
  EXPECT_TRUE(not_ready_reasons(h).empty());
  h.lock_wait = kLockWaitLimit + milliseconds(100);
  h.writer_progress_age = kLockWaitLimit + milliseconds(300);
  const auto reasons = not_ready_reasons(h);
  ASSERT_EQ(reasons.size(), 1u) << joined(reasons);
  EXPECT_NE(reasons[0].find("locked by another process"), std::string::npos) << reasons[0];
}

TEST(AdminHealth, AWriterThatMakesNoProgressIsNotReady) {
  Health h = healthy();
  h.writer_progress_age = kWriterStalledAfter - milliseconds(1);
  EXPECT_TRUE(not_ready_reasons(h).empty());
  h.writer_progress_age = kWriterStalledAfter + seconds(1);
  EXPECT_NE(joined(not_ready_reasons(h)).find("no progress for 6.0 s"), std::string::npos)
      << joined(not_ready_reasons(h));
}

TEST(AdminHealth, AFailedWriteIsNotReadyUntilALaterWriteSucceeds) {
  Health h = healthy();
  h.failure = WriteFailure::kLocked;
  h.since_failure = milliseconds(100);  // after the last success
  const Reply r = Handler::readiness(h);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("locked by another process"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("status":"not ready")"), std::string::npos) << r.body;

  h.since_failure = milliseconds(900);  // an idle probe took the lock since
  EXPECT_TRUE(not_ready_reasons(h).empty()) << joined(not_ready_reasons(h));
}

TEST(AdminHealth, ADiskFullFailureHoldsUntilACommitOrTheHoldEndsWhateverTheProbesSay) {
  Health h = healthy();
  h.failure = WriteFailure::kDiskFull;
  h.since_failure = seconds(5);
  h.since_write_ok = milliseconds(200);  // probes take the lock, but write nothing
  h.since_commit_ok = seconds(6);
  EXPECT_NE(joined(not_ready_reasons(h)).find("disk is full"), std::string::npos);

  h.since_commit_ok = seconds(1);  // a hook committed since
  EXPECT_TRUE(not_ready_reasons(h).empty());

  h.since_commit_ok = std::nullopt;  // none ever, but long ago
  h.since_failure = kDiskFailureHold + seconds(1);
  EXPECT_TRUE(not_ready_reasons(h).empty());
}

TEST(AdminHealth, AFullQueueIsNotReady) {
  Health h = healthy();
  h.queued = 4095;
  EXPECT_TRUE(not_ready_reasons(h).empty());
  h.queued = 4096;
  EXPECT_NE(joined(not_ready_reasons(h)).find("queue is full"), std::string::npos);
}

TEST(AdminHealth, EveryReasonIsListed) {
  Health h = healthy();
  h.draining = true;
  h.queued = h.queue_capacity;
  h.writer_progress_age = seconds(10);
  EXPECT_EQ(not_ready_reasons(h).size(), 3u) << joined(not_ready_reasons(h));
}

}  // namespace
}  // namespace chronohook::admin

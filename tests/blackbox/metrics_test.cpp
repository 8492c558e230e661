// GET /metrics against the real daemon: the counts after a known mix of
// hooks, the real `promtool check metrics` on the scrape, nothing a hook
// carried (delivery id, patient id, payload byte) nor any secret in it, and
// the optional metrics token.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <map>
#include <sstream>

#include "support/admin_api.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kMetricsToken = "bb-metrics-token-2c9e4a7f1b68";

// "name{labels}" -> value, for every sample line of a scrape.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// The value of one sample, or -1 when the scrape has no such line.
double value(const std::map<std::string, double>& s, const std::string& key) {
  const auto it = s.find(key);
  return it == s.end() ? -1 : it->second;
}

std::optional<std::filesystem::path> find_promtool() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / "promtool";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

class Metrics : public ::testing::Test {
 protected:
  Metrics() : Metrics(AdminOptions{}, Launch{}) {}
  Metrics(const AdminOptions& admin, const Launch& launch)
      : daemon_(admin_config(admin), launch), port_(admin_port(daemon_)) {}

  Response get(std::string_view target, std::string_view token = "") {
    return send_once(port_, admin_client_options(daemon_, false), admin_request("GET", target, token));
  }
  std::string scrape() {
    const Response r = get("/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return r.body;
  }

  Daemon daemon_;
  std::uint16_t port_;
};

// The token file named through the environment, as a container would.
Launch with_metrics_token() {
  Launch launch;
  launch.files = {{"metrics.token", std::string(kMetricsToken) + "\n"}};
  launch.env = {{"CHRONOHOOK_ADMIN_METRICS_TOKEN_FILE", "metrics.token"}};
  return launch;
}

class GuardedMetrics : public Metrics {
 protected:
  GuardedMetrics() : Metrics(AdminOptions{}, with_metrics_token()) {}
};

TEST_F(Metrics, CountsStoredDuplicateForgedAndVerificationRequests) {
  const Request first = signed_hook(kMainSecret, "APPOINTMENT_CREATE");
  ASSERT_EQ(daemon_.send(first).status, 200);
  ASSERT_EQ(daemon_.send(signed_hook(kMainSecret, "APPOINTMENT_CREATE")).status, 200);
  ASSERT_EQ(daemon_.send(signed_hook(kMainSecret, "PATIENT_CREATE")).status, 200);
  ASSERT_EQ(daemon_.send(signed_hook(kMainSecret, "PATIENT_FLAG_MODIFY")).status, 200);
  ASSERT_EQ(daemon_.send(signed_hook(kMainSecret, "SOMETHING_NEW_9")).status, 200);
  ASSERT_EQ(daemon_.send(first).status, 200);                                      // a duplicate
  ASSERT_EQ(daemon_.send(signed_hook("bb-forged-secret-000000000000")).status, 401);  // forged
  ASSERT_EQ(daemon_.send(verification_get("msg=abc")).status, 200);
  ASSERT_EQ(daemon_.send(verification_get("other=1")).status, 400);                 // no msg
  Request elsewhere = signed_hook(kMainSecret);
  elsewhere.target = "/not-a-webhook";
  ASSERT_EQ(daemon_.send(elsewhere).status, 404);

  const auto s = samples(scrape());
  EXPECT_EQ(value(s, R"(chronohook_hooks_stored_total{event="APPOINTMENT_CREATE"})"), 2);
  EXPECT_EQ(value(s, R"(chronohook_hooks_stored_total{event="PATIENT_CREATE"})"), 1);
  EXPECT_EQ(value(s, R"(chronohook_hooks_stored_total{event="PATIENT_FLAG_CMODIFY"})"), 1);
  EXPECT_EQ(value(s, R"(chronohook_hooks_stored_total{event="other"})"), 1);
  EXPECT_EQ(value(s, R"(chronohook_hooks_stored_total{event="TASK_CREATE"})"), 0);
  EXPECT_EQ(value(s, R"(chronohook_hooks_stored_total{event="PING"})"), 0);
  EXPECT_EQ(value(s, "chronohook_hooks_duplicate_total"), 1);
  EXPECT_EQ(value(s, R"(chronohook_authentication_failures_total{listener="webhook"})"), 1);
  EXPECT_EQ(value(s, "chronohook_verification_requests_total"), 2);
  EXPECT_EQ(value(s, R"(chronohook_verification_refusals_total{reason="invalid"})"), 1);
  EXPECT_EQ(value(s, R"(chronohook_verification_refusals_total{reason="rate_limited"})"), 0);
  EXPECT_EQ(value(s, R"(chronohook_requests_total{webhook="main",code="200"})"), 7);
  EXPECT_EQ(value(s, R"(chronohook_requests_total{webhook="main",code="401"})"), 1);
  EXPECT_EQ(value(s, R"(chronohook_requests_total{webhook="main",code="400"})"), 1);
  EXPECT_EQ(value(s, R"x(chronohook_requests_total{webhook="(none)",code="404"})x"), 1);
  EXPECT_EQ(value(s, R"(chronohook_hooks_rejected_total{reason="store_error"})"), 0);
  // Six hooks reached the writer (five new, one duplicate), in some number
  // of transactions, each timed.
  EXPECT_EQ(value(s, "chronohook_commit_batch_size_sum"), 6);
  const double commits = value(s, "chronohook_commit_batch_size_count");
  EXPECT_GE(commits, 1);
  EXPECT_LE(commits, 6);
  EXPECT_EQ(value(s, R"(chronohook_commit_batch_size_bucket{le="+Inf"})"), commits);
  EXPECT_EQ(value(s, "chronohook_commit_duration_seconds_count"), commits);
  EXPECT_EQ(value(s, R"(chronohook_commit_duration_seconds_bucket{le="+Inf"})"), commits);
  EXPECT_GT(value(s, "chronohook_commit_duration_seconds_sum"), 0);
  EXPECT_EQ(value(s, "chronohook_queue_depth"), 0);
  EXPECT_EQ(value(s, "chronohook_queue_capacity"), 4096);
  EXPECT_GE(value(s, R"(chronohook_open_connections{listener="admin"})"), 1);  // this scrape
  EXPECT_GE(value(s, R"(chronohook_open_connections{listener="webhook"})"), 0);
  EXPECT_GT(value(s, "chronohook_database_size_bytes"), 0);
  EXPECT_GE(value(s, "chronohook_database_wal_size_bytes"), 0);
  EXPECT_EQ(value(s, "chronohook_ready"), 1);
  bool build_info = false;
  for (const auto& [key, v] : s) build_info |= key.starts_with("chronohook_build_info{version=\"") && v == 1;
  EXPECT_TRUE(build_info);
}

TEST_F(Metrics, TheHooksStoredLabelSetIsTheKnownNamesPlusOther) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(daemon_.send(signed_hook(kMainSecret, "NEW_EVENT_" + std::to_string(i))).status, 200);
  std::size_t series = 0;
  for (const auto& [key, v] : samples(scrape())) series += key.starts_with("chronohook_hooks_stored_total{") ? 1 : 0;
  EXPECT_EQ(series, 29u);  // 27 documented names, PING, other
}

TEST_F(Metrics, PromtoolFindsNothingToSayAboutTheScrape) {
  const auto promtool = find_promtool();
  if (!promtool) GTEST_SKIP() << "promtool is not installed (Debian package prometheus): cannot lint the scrape";
  ASSERT_EQ(daemon_.send(signed_hook(kMainSecret)).status, 200);
  ASSERT_EQ(daemon_.send(signed_hook("bb-forged-secret-000000000000")).status, 401);
  ASSERT_EQ(daemon_.send(verification_get("msg=x")).status, 200);
  const std::string text = scrape();
  ASSERT_THAT(text, HasSubstr("chronohook_hooks_stored_total"));
  TempDir scratch;
  const auto written = scratch.write_file("scrape.txt", text);
  const CommandResult r =
      run_command({"/bin/sh", "-c", promtool->string() + " check metrics < " + written.string()}, {},
                  std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "") << "promtool complained";
}

TEST_F(Metrics, TheScrapeHoldsNoDeliveryIdPatientIdPayloadByteOrSecret) {
  const std::string marker = "payload-marker-" + random_hex(8);
  std::vector<std::string> deliveries;
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    const std::string body = R"({"receiver":{"id":1},"object":{"id":81726354)" + std::to_string(i) +
                             R"(,"patient":73625184)" + std::to_string(i) + R"(,"note":")" + marker +
                             R"("},"practice_group_id":64537281})";
    const Request hook = signed_hook(kMainSecret, i == 2 ? "SOMETHING_ELSE" : "APPOINTMENT_MODIFY", body);
    deliveries.push_back(delivery_of(hook));
    ASSERT_EQ(daemon_.send(hook).status, 200);
    ASSERT_EQ(daemon_.send(hook).status, 200);  // and its duplicate
  }
  ASSERT_EQ(daemon_.send(signed_hook("bb-forged-secret-000000000000")).status, 401);
  ASSERT_EQ(get("/v1/events", "wrong-token-000000000000").status, 401);
  const std::string text = scrape();
  ASSERT_THAT(text, HasSubstr("chronohook_hooks_duplicate_total 3"));
  for (const std::string& d : deliveries) EXPECT_THAT(text, Not(HasSubstr(d)));
  for (std::string_view needle :
       {std::string_view(marker), std::string_view("81726354"), std::string_view("73625184"),
        std::string_view("64537281"), std::string_view("SOMETHING_ELSE"), kMainSecret, kBillingToken, kSyncToken,
        std::string_view("bb-forged-secret"), std::string_view("wrong-token")}) {
    EXPECT_THAT(text, Not(HasSubstr(needle)));
  }
}

TEST_F(GuardedMetrics, NeedTheMetricsTokenWhenOneIsConfigured) {
  const Response none = get("/metrics");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(get("/metrics", kBillingToken).status, 401);
  EXPECT_EQ(get("/metrics", "bb-metrics-token-2c9e4a7f1b6").status, 401);
  const Response ok = get("/metrics", kMetricsToken);
  EXPECT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, StartsWith("# HELP chronohook_build_info"));
  EXPECT_THAT(ok.body, Not(HasSubstr(kMetricsToken)));
  // Only /metrics: health and readiness stay open.
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(get("/readyz").status, 200);
  const auto s = samples(get("/metrics", kMetricsToken).body);
  EXPECT_EQ(value(s, R"(chronohook_authentication_failures_total{listener="admin"})"), 3);
}

TEST_F(Metrics, AreOpenWithoutAMetricsToken) {
  EXPECT_EQ(get("/metrics").status, 200);
  EXPECT_EQ(get("/metrics", "anything-at-all-0000").status, 200);
}

}  // namespace
}  // namespace chronohook::testing

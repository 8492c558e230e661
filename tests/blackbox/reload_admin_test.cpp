// SIGHUP and the [admin] listener: consumer tokens, the metrics token and its
// certificate are replaced live; a consumer added or removed needs a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/admin_api.hpp"
#include "support/hooks.hpp"
#include "support/reload.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kNewBillingToken = "bb-billing-token-rotated-61c8d2";
constexpr std::string_view kAuditToken = "bb-audit-token-0e7a35bd94c2";

// admin_config() with billing's token replaced.
std::string with_billing_token(const AdminOptions& admin, std::string_view token, std::string_view extra = {}) {
  std::string toml = admin_config(admin, {}, extra);
  const std::string from(kBillingToken);
  toml.replace(toml.find(from), from.size(), std::string(token));
  return toml;
}

TEST(ReloadAdmin, ARotatedConsumerTokenWorksAtOnceAndTheOldOneIsRefused) {
  Daemon daemon(admin_config(), Launch{});
  const std::uint16_t port = admin_port(daemon);
  const ClientOptions plain = admin_client_options(daemon, false);
  Connection open(port, plain);
  ASSERT_EQ(open.send(admin_request("GET", "/v1/events", kBillingToken)).status, 200);

  rewrite_config(daemon, with_billing_token({}, kNewBillingToken));
  EXPECT_THAT(reload(daemon), HasSubstr("applied: token of consumer billing"));

  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/v1/events", kNewBillingToken)).status, 200);
  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/v1/events", kBillingToken)).status, 401);
  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/v1/consumers/sync/cursor", kSyncToken)).status, 200);
  // The kept-alive connection from before takes the new token at its next request.
  const Response again = open.send(admin_request("GET", "/v1/consumers/billing/cursor", kNewBillingToken));
  EXPECT_EQ(again.status, 200) << again.body;

  const std::string log = daemon.log_text();
  EXPECT_THAT(log, HasSubstr("reload: consumer billing has a new token"));
  EXPECT_THAT(log, Not(HasSubstr(std::string(kNewBillingToken))));
  EXPECT_THAT(log, Not(HasSubstr(std::string(kBillingToken))));
}

TEST(ReloadAdmin, AConsumerAddedIsRefusedWhileATokenChangeApplies) {
  Daemon daemon(admin_config(), Launch{});
  const std::uint16_t port = admin_port(daemon);
  const std::string audit = "\n[[consumer]]\nname = \"audit\"\ntoken = \"" + std::string(kAuditToken) + "\"\n";
  rewrite_config(daemon, with_billing_token({}, kNewBillingToken, audit));

  const std::string summary = reload(daemon);
  EXPECT_THAT(summary, HasSubstr("applied: token of consumer billing"));
  EXPECT_THAT(summary, HasSubstr("refused, needs a restart: consumer.audit"));
  const ClientOptions plain = admin_client_options(daemon, false);
  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/v1/events", kNewBillingToken)).status, 200);
  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/v1/events", kAuditToken)).status, 401);
}

TEST(ReloadAdmin, TheAdminListenersCertificateIsReplacedForNewConnections) {
  AdminOptions tls;
  tls.tls = true;
  Daemon daemon(admin_config(tls), Launch{});
  const std::uint16_t port = admin_port(daemon);
  Connection open(port, admin_client_options(daemon, true));  // verified: the old certificate
  ASSERT_EQ(open.send(admin_request("GET", "/v1/events")).status, 200);
  ASSERT_EQ(presented_certificate_sha256(port), certificate_sha256(daemon.dir() / "cert.pem"));

  const std::string new_fingerprint = replace_certificate(daemon);
  const std::string summary = reload(daemon);
  EXPECT_THAT(summary, HasSubstr("webhook certificate (serial"));
  EXPECT_THAT(summary, HasSubstr("admin certificate (serial"));

  EXPECT_EQ(presented_certificate_sha256(port), new_fingerprint);
  EXPECT_EQ(presented_certificate_sha256(daemon.port()), new_fingerprint);
  Connection fresh(port, admin_client_options(daemon, true));  // verified against the new cert.pem
  EXPECT_EQ(fresh.send(admin_request("GET", "/v1/events")).status, 200);
  // The connection from before the reload goes on.
  EXPECT_EQ(open.send(admin_request("GET", "/v1/events")).status, 200);
}

TEST(ReloadAdmin, AMetricsTokenFileAddedByAReloadGuardsMetricsFromTheNextScrape) {
  constexpr std::string_view kMetricsToken = "bb-metrics-token-reloaded-4f1d9a";
  Launch launch;
  launch.files = {{"metrics.token", std::string(kMetricsToken) + "\n"}};
  Daemon daemon(admin_config(), launch);
  const std::uint16_t port = admin_port(daemon);
  const ClientOptions plain = admin_client_options(daemon, false);
  ASSERT_EQ(send_once(port, plain, admin_request("GET", "/metrics", {})).status, 200);

  AdminOptions guarded;
  guarded.extra_admin_toml = "metrics_token_file = \"metrics.token\"\n";
  rewrite_config(daemon, admin_config(guarded));
  EXPECT_THAT(reload(daemon), HasSubstr("admin.metrics_token_file"));

  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/metrics", {})).status, 401);
  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/metrics", kBillingToken)).status, 401);
  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/metrics", kMetricsToken)).status, 200);
  // Consumers are untouched by it.
  EXPECT_EQ(send_once(port, plain, admin_request("GET", "/v1/events", kBillingToken)).status, 200);
  EXPECT_THAT(daemon.log_text(), Not(HasSubstr(std::string(kMetricsToken))));
}

}  // namespace
}  // namespace chronohook::testing

// Several drchrono API applications, each with its own webhook and secret,
// share one daemon; a secret being rotated keeps authenticating hooks while
// verification already answers with the new one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::Optional;

WebhookSpec other_webhook() {
  WebhookSpec w;
  w.name = "other";
  w.path = "/hooks/other";
  w.secret = std::string(kOtherSecret);
  return w;
}

ConfigOptions two_webhooks() {
  ConfigOptions options;
  options.webhooks.push_back(other_webhook());
  return options;
}

std::optional<std::string> token_for(const Daemon& daemon, std::string_view path, std::string_view msg) {
  const Response r = daemon.send(verification_get("msg=" + std::string(msg), path));
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  return json_string_field(r.body, "secret_token");
}

TEST(MultiWebhook, EachSecretAuthenticatesOnlyItsOwnPath) {
  Daemon daemon(two_webhooks());
  EXPECT_EQ(daemon.send(signed_hook(kOtherSecret, "TASK_CREATE", "", "", "/webhook")).status, 401);
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret, "TASK_CREATE", "", "", "/hooks/other")).status, 401);
  EXPECT_EQ(count_events(daemon.db_path()), 0);

  const Request to_main = signed_hook(kMainSecret, "TASK_CREATE", "", "", "/webhook");
  const Request to_other = signed_hook(kOtherSecret, "TASK_CREATE", "", "", "/hooks/other");
  EXPECT_EQ(daemon.send(to_main).status, 200);
  EXPECT_EQ(daemon.send(to_other).status, 200);
  EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery_of(to_main)).has_value());
  EXPECT_TRUE(event_for(daemon.db_path(), "other", delivery_of(to_other)).has_value());
  EXPECT_FALSE(event_for(daemon.db_path(), "other", delivery_of(to_main)).has_value());
}

TEST(MultiWebhook, VerificationAnswersEachPathWithItsOwnSecret) {
  Daemon daemon(two_webhooks());
  EXPECT_EQ(token_for(daemon, "/webhook", "n1"), expected_hmac_hex(kMainSecret, "n1"));
  EXPECT_EQ(token_for(daemon, "/hooks/other", "n1"), expected_hmac_hex(kOtherSecret, "n1"));
}

TEST(MultiWebhook, TheSameDeliveryIdOnTwoWebhooksIsTwoEvents) {
  Daemon daemon(two_webhooks());
  const std::string delivery = fresh_delivery_id();
  const Response a = daemon.send(signed_hook(kMainSecret, "TASK_CREATE", "", delivery, "/webhook"));
  const Response b = daemon.send(signed_hook(kOtherSecret, "TASK_CREATE", "", delivery, "/hooks/other"));
  EXPECT_EQ(json_string_field(a.body, "status"), "stored") << a.body;
  EXPECT_EQ(json_string_field(b.body, "status"), "stored") << b.body;
  EXPECT_EQ(count_events(daemon.db_path()), 2);
}

TEST(Rotation, PreviousSecretsAuthenticateHooksAndVerificationUsesTheCurrentOne) {
  const std::string current = "bb-rotated-current-1a2b3c4d5e6f";
  const std::string previous1 = "bb-rotated-previous-one-9f8e7d6c";
  const std::string previous2 = "bb-rotated-previous-two-5b4a3928";
  ConfigOptions options;
  options.webhooks[0].secret = current;
  options.webhooks[0].previous_secrets = {previous1, previous2};
  options.webhooks.push_back(other_webhook());
  Daemon daemon(options);

  for (const std::string& secret : {current, previous1, previous2}) {
    const Request hook = signed_hook(secret, "APPOINTMENT_CREATE");
    const Response r = daemon.send(hook);
    EXPECT_EQ(r.status, 200) << r.body;
    const auto row = event_for(daemon.db_path(), "main", delivery_of(hook));
    ASSERT_TRUE(row.has_value());
    EXPECT_THAT(row->at("webhook"), Optional(std::string("main")));
  }
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 401) << "a secret never configured";
  // Rotation is per webhook: main's old secrets do not open another path.
  EXPECT_EQ(daemon.send(signed_hook(previous1, "TASK_CREATE", "", "", "/hooks/other")).status, 401);

  const auto token = token_for(daemon, "/webhook", "rotation-check");
  EXPECT_EQ(token, expected_hmac_hex(current, "rotation-check"));
  EXPECT_NE(token, expected_hmac_hex(previous1, "rotation-check"));
}

TEST(SecretSources, SecretFromAFileAuthenticatesAndVerifies) {
  ConfigOptions options;
  WebhookSpec w = other_webhook();
  w.secret_toml = "secret_file = \"other.secret\"";
  options.webhooks.push_back(w);
  Launch launch;
  // A trailing newline, as `echo` or an editor would leave it.
  launch.files["other.secret"] = std::string(kOtherSecret) + "\n";
  Daemon daemon(make_config(options), launch);

  EXPECT_EQ(daemon.send(signed_hook(kOtherSecret, "TASK_CREATE", "", "", "/hooks/other")).status, 200);
  EXPECT_EQ(token_for(daemon, "/hooks/other", "f1"), expected_hmac_hex(kOtherSecret, "f1"));
}

TEST(SecretSources, SecretFromAnEnvironmentVariableAuthenticatesAndVerifies) {
  ConfigOptions options;
  WebhookSpec w = other_webhook();
  w.secret_toml = "secret_env = \"BB_OTHER_HOOK_SECRET\"";
  options.webhooks.push_back(w);
  Launch launch;
  launch.env["BB_OTHER_HOOK_SECRET"] = std::string(kOtherSecret);
  Daemon daemon(make_config(options), launch);

  EXPECT_EQ(daemon.send(signed_hook(kOtherSecret, "TASK_CREATE", "", "", "/hooks/other")).status, 200);
  EXPECT_EQ(token_for(daemon, "/hooks/other", "e1"), expected_hmac_hex(kOtherSecret, "e1"));
  ASSERT_EQ(daemon.stop(), 0);
  EXPECT_EQ(daemon.log_text().find(std::string(kOtherSecret)), std::string::npos);
}

}  // namespace
}  // namespace chronohook::testing

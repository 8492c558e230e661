// What a reload refuses: every setting that needs a restart, named, and
// none of the live ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/reload_diff.hpp"
#include "config_support.hpp"

namespace chronohook::config_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> settings(const std::vector<app::FixedChange>& changes) {
  std::vector<std::string> out;
  for (const app::FixedChange& c : changes) out.push_back(c.setting);
  return out;
}

Config loaded(const std::string& toml) {
  auto c = load(toml);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? *c : Config{};
}

TEST(ReloadDiff, TheSameFileChangesNothing) {
  const std::string toml = "[server]\nlisten = \"127.0.0.1:8443\"\n" + hook();
  EXPECT_THAT(app::fixed_changes(loaded(toml), loaded(toml)), IsEmpty());
}

TEST(ReloadDiff, ListenersStorageAndLimitsAreNamedWithTheirValues) {
  const Config a = loaded("[server]\nlisten = \"127.0.0.1:8443\"\n[storage]\npath = \"/var/lib/a.db\"\n" + hook());
  const Config b = loaded(
      "[server]\nlisten = \"127.0.0.1:9443\"\nthreads = 7\nmax_body_bytes = 2048\nidle_timeout_ms = 1234\n"
      "[storage]\npath = \"/var/lib/b.db\"\nsynchronous = \"normal\"\n[log]\naccess_log = false\n" +
      hook());
  const auto changes = app::fixed_changes(a, b);
  EXPECT_THAT(settings(changes),
              ElementsAre("server.listen", "server.threads", "server.max_body_bytes", "server.idle_timeout_ms",
                          "storage.path", "storage.synchronous", "log.access_log"));
  EXPECT_EQ(changes[0].from, "127.0.0.1:8443");
  EXPECT_EQ(changes[0].to, "127.0.0.1:9443");
  EXPECT_EQ(changes[3].to, "1234 ms");
  EXPECT_EQ(changes[4].to, "\"/var/lib/b.db\"");
}

TEST(ReloadDiff, SecretsVerifyCertificatePathsAndLogLevelAreLiveAndNotListed) {
  const Config a = loaded("[server]\ntls_cert = \"a.pem\"\ntls_key = \"a.key\"\n[log]\nlevel = \"info\"\n" + hook());
  const Config b = loaded("[server]\ntls_cert = \"b.pem\"\ntls_key = \"b.key\"\n[log]\nlevel = \"debug\"\n" +
                          hook("main", "/webhook",
                               "secret = \"" + std::string(kOtherSecret) + "\"\nprevious_secrets = [\"" +
                                   std::string(kSecret) + "\"]\nverify = false"));
  EXPECT_THAT(app::fixed_changes(a, b), IsEmpty());
  EXPECT_FALSE(app::same_credentials(a.webhooks[0], b.webhooks[0]));
  EXPECT_TRUE(app::same_credentials(a.webhooks[0], a.webhooks[0]));
}

TEST(ReloadDiff, WebhooksAddedRemovedOrMovedAreNamed) {
  const Config a = loaded(hook("main", "/webhook") + hook("gone", "/gone") + hook("moved", "/here"));
  const Config b = loaded(hook("main", "/webhook") + hook("moved", "/there") + hook("new", "/new"));
  const auto changes = app::fixed_changes(a, b);
  EXPECT_THAT(settings(changes), ElementsAre("webhook.gone", "webhook.moved.path", "webhook.new"));
  EXPECT_EQ(changes[0].to, "(none)");
  EXPECT_EQ(changes[1].to, "\"/there\"");
  EXPECT_EQ(changes[2].from, "(none)");
}

TEST(ReloadDiff, AddingTheAdminListenerOrAConsumerNeedsARestartButATokenDoesNot) {
  const std::string admin = "[admin]\nlisten = \"127.0.0.1:9443\"\n";
  const std::string billing = "[[consumer]]\nname = \"billing\"\ntoken = \"" + std::string(kSecret) + "\"\n";
  const std::string billing2 = "[[consumer]]\nname = \"billing\"\ntoken = \"" + std::string(kOtherSecret) + "\"\n";
  const std::string audit = "[[consumer]]\nname = \"audit\"\ntoken = \"" + std::string(kOtherSecret) + "\"\n";
  EXPECT_THAT(settings(app::fixed_changes(loaded(hook()), loaded(hook() + admin + billing))),
              ElementsAre("admin", "consumer.billing"));
  EXPECT_THAT(app::fixed_changes(loaded(hook() + admin + billing), loaded(hook() + admin + billing2)), IsEmpty());
  EXPECT_THAT(settings(app::fixed_changes(loaded(hook() + admin + billing), loaded(hook() + admin + billing + audit))),
              ElementsAre("consumer.audit"));
}

TEST(ReloadDiff, NoChangeCarriesASecretInItsValues) {
  const Config a = loaded(hook());
  const Config b = loaded(hook("main", "/moved", "secret = \"" + std::string(kOtherSecret) + "\""));
  for (const app::FixedChange& c : app::fixed_changes(a, b)) {
    EXPECT_FALSE(leaks(c.from + c.to + c.setting, kSecret));
    EXPECT_FALSE(leaks(c.from + c.to + c.setting, kOtherSecret));
  }
}

}  // namespace
}  // namespace chronohook::config_test

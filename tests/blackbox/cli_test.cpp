// The command line: what an operator types before the daemon ever listens.
// Exit codes are a contract with systemd and scripts: 0 ok, 1 runtime
// failure, 2 usage or configuration error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(Cli, VersionPrintsTheNameAndExitsZero) {
  const CommandResult r = run_chronohook({"--version"});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr("chronohook"));
}

TEST(Cli, HelpListsTheSubcommandsAndExitsZero) {
  const CommandResult r = run_chronohook({"--help"});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string text = r.out + r.err;
  EXPECT_THAT(text, HasSubstr("serve"));
  EXPECT_THAT(text, HasSubstr("check-config"));
  EXPECT_THAT(text, HasSubstr("migrate"));
}

TEST(Cli, ServeHelpShowsTheConfigOptionAndExitsZero) {
  const CommandResult r = run_chronohook({"serve", "--help"});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr("--config"));
}

TEST(Cli, UnknownSubcommandIsAUsageErrorWithExitTwo) {
  const CommandResult r = run_chronohook({"frobnicate"});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, NoSubcommandIsAUsageErrorWithExitTwo) {
  const CommandResult r = run_chronohook({});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, CheckConfigOnAGoodConfigPrintsListenAndWebhooksButNeverTheSecret) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  ConfigOptions options;
  options.webhooks[0].previous_secrets = {"bb-previous-secret-5e6f7a8b9c0d"};
  const auto config = dir.write_file("chronohook.toml", make_config(options));

  const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("127.0.0.1:0"));
  EXPECT_THAT(r.out, HasSubstr("main"));
  EXPECT_THAT(r.out, HasSubstr("/webhook"));
  for (const std::string& output : {r.out, r.err}) {
    EXPECT_THAT(output, Not(HasSubstr(std::string(kMainSecret))));
    EXPECT_THAT(output, Not(HasSubstr("bb-previous-secret-5e6f7a8b9c0d")));
  }
}

TEST(Cli, CheckConfigOnAShortSecretExitsTwoWithAConfigMessageThatDoesNotEchoIt) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  ConfigOptions options;
  options.webhooks[0].secret = "shortsecret42";  // 13 bytes: below the 16-byte minimum
  const auto config = dir.write_file("chronohook.toml", make_config(options));

  const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("config: "));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("shortsecret42")));
}

TEST(Cli, ConfigErrorsAboutAMalformedSecretNeverEchoIt) {
  const std::string secret = "bb-echo-check-secret-31b7";
  const std::vector<std::string> lines = {
      "secret = [\"" + secret + "\"]",   // wrong type
      "secret = \"" + secret + "\\q\"",  // bad escape
      "secret = \"" + secret,            // unterminated
      "secret = " + secret,              // unquoted
      "secret = '" + secret,             // unterminated literal
      "secret = \"\"\"" + secret,        // unterminated multi-line
      "previous_secrets = \"" + secret + "\"\nsecret = \"bb-valid-secret-000000000\"",
      "previous_secrets = [\"short-" + secret.substr(0, 4) + "\"]\nsecret = \"bb-valid-secret-000000000\"",
  };
  for (const std::string& line : lines) {
    TempDir dir;
    const std::string toml =
        "[server]\nlisten = \"127.0.0.1:0\"\ntls = false\n[storage]\npath = \"e.db\"\n"
        "[[webhook]]\nname = \"main\"\npath = \"/webhook\"\n" +
        line + "\n";
    const auto config = dir.write_file("chronohook.toml", toml);
    const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 2) << line;
    EXPECT_THAT(r.err, StartsWith("config: ")) << line;
    EXPECT_THAT(r.out + r.err, Not(HasSubstr(secret))) << line;
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("short-" + secret.substr(0, 4)))) << line;
  }
}

TEST(Cli, CheckConfigOnBrokenTomlExitsTwoWithAConfigMessage) {
  TempDir dir;
  const auto config = dir.write_file("chronohook.toml", "[server\nlisten = \n");
  const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("config: "));
}

TEST(Cli, CheckConfigOnAMissingFileExitsTwoWithAConfigMessage) {
  TempDir dir;
  const CommandResult r = run_chronohook({"check-config", "--config", (dir.path() / "absent.toml").string()});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("config: "));
}

TEST(Cli, ServeOnABadConfigExitsTwoWithoutListening) {
  TempDir dir;
  ConfigOptions options;
  options.webhooks.clear();  // nothing to serve
  write_self_signed_cert(dir.path());
  const auto config = dir.write_file("chronohook.toml", make_config(options));
  const CommandResult r = run_chronohook({"serve", "--config", config.string()});
  ASSERT_FALSE(r.timed_out) << "serve with no webhook kept running";
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("config: "));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("listening on")));
}

TEST(Cli, CheckConfigOnAnUnknownKeyExitsTwoNamingIt) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  ConfigOptions options;
  options.extra_server_toml = "lisen = \"127.0.0.1:8443\"\n";  // a typo must not be silently ignored
  const auto config = dir.write_file("chronohook.toml", make_config(options));
  const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("config: "));
  EXPECT_THAT(r.err, HasSubstr("lisen"));
}

TEST(Cli, ServeWithoutItsCertificateExitsTwo) {
  TempDir dir;  // no cert.pem / key.pem written
  const auto config = dir.write_file("chronohook.toml", make_config());
  const CommandResult r = run_chronohook({"serve", "--config", config.string()}, {}, std::chrono::seconds(10));
  ASSERT_FALSE(r.timed_out) << "serve without a certificate kept running";
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cert.pem"));
  EXPECT_THAT(r.err, Not(HasSubstr("listening on")));
}

TEST(Cli, ServeOnAPortAlreadyInUseIsARuntimeFailureWithExitOne) {
  Daemon first;
  TempDir dir;
  write_self_signed_cert(dir.path());
  std::string toml = make_config();
  const std::string any_port = "127.0.0.1:0";
  toml.replace(toml.find(any_port), any_port.size(), "127.0.0.1:" + std::to_string(first.port()));
  const auto config = dir.write_file("chronohook.toml", toml);
  const CommandResult r = run_chronohook({"serve", "--config", config.string()}, {}, std::chrono::seconds(10));
  ASSERT_FALSE(r.timed_out) << "a second daemon on the same port kept running";
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(std::to_string(first.port())));
  EXPECT_TRUE(first.running());
}

TEST(Cli, MigrateCreatesAFreshDatabaseThenHasNothingToDo) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  const auto config = dir.write_file("chronohook.toml", make_config());
  const auto db = dir.path() / "events.db";
  ASSERT_FALSE(std::filesystem::exists(db));

  const CommandResult first = run_chronohook({"migrate", "--config", config.string()});
  ASSERT_FALSE(first.timed_out);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("applied  0001_events.sql"));
  ASSERT_TRUE(std::filesystem::exists(db));
  EXPECT_EQ(count_events(db), 0);
  EXPECT_EQ(std::filesystem::status(db).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  const CommandResult second = run_chronohook({"migrate", "--config", config.string()});
  ASSERT_FALSE(second.timed_out);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("nothing to do"));
  EXPECT_THAT(second.out, Not(HasSubstr("applied ")));
}

TEST(Cli, ServeAppliesPendingMigrationsItselfAndLogsEachOne) {
  Daemon daemon;
  EXPECT_THAT(daemon.log_text(), HasSubstr("store: applied migration 0001_events.sql to "));
  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

}  // namespace
}  // namespace chronohook::testing

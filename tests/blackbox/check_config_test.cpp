// check-config prints every effective setting and, for each one the
// environment gave, the variable and the file value it overrides, so the
// values a systemd unit's Environment= lines change are visible in the
// journal (the unit runs check-config as ExecStartPre).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/daemon.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(CheckConfig, PrintsEverySetting) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  const auto config = dir.write_file("chronohook.toml", make_config());
  const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"[server]\n",
                           "  listen                  127.0.0.1:0\n",
                           "  tls                     true (https)\n",
                           "  threads                 2\n",
                           "  max_connections         1024\n",
                           "  max_connections_per_source 64\n",
                           "  max_body_bytes          1048576\n",
                           "  max_header_bytes        16384\n",
                           "  max_msg_bytes           1024\n",
                           "  handshake_timeout_ms    10000\n",
                           "  header_timeout_ms       10000\n",
                           "  body_timeout_ms         30000\n",
                           "  idle_timeout_ms         60000\n",
                           "  write_timeout_ms        10000\n",
                           "  shutdown_timeout_ms     10000\n",
                           "  verify_rate_per_minute  100000\n",
                           "[storage]\n",
                           "  synchronous             full\n",
                           "  busy_timeout_ms         100\n",
                           "  queue_capacity          4096\n",
                           "  max_batch               256\n",
                           "[log]\n",
                           "  level                   debug\n",
                           "  access_log              true\n",
                           "[[webhook]] \"main\"\n",
                           "  path                    /webhook\n",
                           "  secret                  from secret (line ",
                           "  previous secrets        0",
                           "  verify                  true"}) {
    EXPECT_THAT(r.out, HasSubstr(line));
  }
  EXPECT_THAT(r.out, HasSubstr("  tls_cert                " + (dir.path() / "cert.pem").string() + "\n"));
  EXPECT_THAT(r.out, HasSubstr("  path                    " + (dir.path() / "events.db").string() + "\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("(from ")));
  EXPECT_THAT(r.out, Not(HasSubstr(std::string(kMainSecret))));
}

TEST(CheckConfig, ShowsWhichValuesTheEnvironmentGaveAndWhatTheyOverride) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  dir.write_file("env.secret", std::string(kOtherSecret) + "\n");
  const auto config = dir.write_file("chronohook.toml", make_config());
  const CommandResult r = run_chronohook({"check-config", "--config", config.string()},
                                         {{"CHRONOHOOK_SERVER_LISTEN", "127.0.0.1:9"},
                                          {"CHRONOHOOK_SERVER_MAX_CONNECTIONS", "8"},
                                          {"CHRONOHOOK_LOG_LEVEL", "warn"},
                                          {"CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE", "env.secret"}});
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  listen                  127.0.0.1:9 (from CHRONOHOOK_SERVER_LISTEN, overrides the "
                               "file's \"127.0.0.1:0\")\n"));
  // The file leaves max_connections at its default.
  EXPECT_THAT(r.out, HasSubstr("  max_connections         8 (from CHRONOHOOK_SERVER_MAX_CONNECTIONS)\n"));
  EXPECT_THAT(
      r.out, HasSubstr("  level                   warn (from CHRONOHOOK_LOG_LEVEL, overrides the file's \"debug\")\n"));
  // A secret-bearing key: the variable, never the value (here a file name).
  EXPECT_THAT(r.out, HasSubstr("  secret                  from secret_file (from CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE), "
                               "replacing the file's secret\n"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("env.secret")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(std::string(kMainSecret))));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(std::string(kOtherSecret))));
}

TEST(CheckConfig, AListenUrlIsAnsweredWithHostAndPortWithoutAScheme) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  std::string toml = make_config();
  const std::string any_port = "listen = \"127.0.0.1:0\"";
  toml.replace(toml.find(any_port), any_port.size(), "listen = \"https://127.0.0.1:8443\"");
  const auto config = dir.write_file("chronohook.toml", toml);
  const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("config: [server] listen (line 2) is \"https://127.0.0.1:8443\": listen takes "
                                "host:port without a scheme, e.g. \"127.0.0.1:8443\""));
  EXPECT_THAT(r.err, Not(HasSubstr("brackets")));

  const CommandResult from_env =
      run_chronohook({"check-config", "--config", dir.write_file("ok.toml", make_config()).string()},
                     {{"CHRONOHOOK_SERVER_LISTEN", "http://0.0.0.0:8080/webhook"}});
  EXPECT_EQ(from_env.exit_code, 2);
  EXPECT_THAT(from_env.err, HasSubstr("listen takes host:port without a scheme or a path, e.g. \"0.0.0.0:8080\""));
}

}  // namespace
}  // namespace chronohook::testing

// A secret typed into the wrong key never reaches the terminal or the
// journal: check-config and serve name the key and the shape it expects, and
// never repeat the value of secret, secret_file, secret_env,
// previous_secret_files or the CHRONOHOOK_WEBHOOK_<NAME>_SECRET* variables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "support/daemon.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Shaped like a variable name, so a secret_env holding it gets as far as
// looking the variable up (the original leak: "environment variable <it> is
// not set").
constexpr std::string_view kMarker = "bbPlantedSecret7c41d9e02f6a8b35";

struct Case {
  std::string what;
  std::string secret_toml;  // the webhook's secret lines
  std::map<std::string, std::string> env;
  std::string expected;  // part of the message, naming the key
};

std::vector<Case> cases() {
  const std::string m(kMarker);
  return {
      {"secret_env", "secret_env = \"" + m + "\"", {}, "[[webhook]] \"main\" secret_env (line"},
      {"secret_file", "secret_file = \"" + m + "\"", {}, "secret_file (line"},
      {"secret_file, absolute", "secret_file = \"/run/secrets/" + m + "\"", {}, "must be a path to a readable file"},
      {"CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE",
       "secret = \"" + std::string(kMainSecret) + "\"",
       {{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE", m}},
       "secret_file (from CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE) must be a path to a readable file"},
      {"CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV",
       "secret = \"" + std::string(kMainSecret) + "\"",
       {{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV", m}},
       "secret_env (from CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV): the environment variable it names is not set"},
      {"previous_secret_files",
       "secret = \"" + std::string(kMainSecret) + "\"\nprevious_secret_files = [\"" + m + "\"]",
       {},
       "previous_secret_files[0] (line"},
      {"secret_env with a '+'", "secret_env = \"" + m + "+/\"", {}, "secret_env (line"},
      {"secret_file unquoted", "secret_file = " + m, {}, "TOML syntax error"},
      {"previous_secret_files unquoted",
       "secret = \"" + std::string(kMainSecret) + "\"\nprevious_secret_files = [" + m + "]",
       {},
       "TOML syntax error"},
      {"secret_env of the wrong type", "secret_env = [\"" + m + "\"]", {}, "must be a string, not an array"},
      {"a secret typed as a key", "secret = \"" + std::string(kMainSecret) + "\"\n" + m + " = true", {}, "unknown key"},
  };
}

TEST(SecretEcho, CheckConfigAndServeNameTheKeyButNeverRepeatASecretPutInTheWrongOne) {
  for (const Case& c : cases()) {
    TempDir dir;
    write_self_signed_cert(dir.path());
    ConfigOptions options;
    options.webhooks[0].secret_toml = c.secret_toml;
    const auto config = dir.write_file("chronohook.toml", make_config(options));
    for (const char* command : {"check-config", "serve"}) {
      const CommandResult r = run_chronohook({command, "--config", config.string()}, c.env);
      ASSERT_FALSE(r.timed_out) << c.what << ": " << command;
      EXPECT_EQ(r.exit_code, 2) << c.what << ": " << command << "\n" << r.err;
      EXPECT_THAT(r.err, StartsWith("config: ")) << c.what << ": " << command;
      EXPECT_THAT(r.err, HasSubstr(c.expected)) << c.what << ": " << command;
      EXPECT_THAT(r.out + r.err, Not(HasSubstr(std::string(kMarker).substr(0, 12)))) << c.what << ": " << command;
      EXPECT_THAT(r.out + r.err, Not(HasSubstr("listening on"))) << c.what << ": " << command;
    }
  }
}

TEST(SecretEcho, TheReadableSecretFileWarningNamesTheKeyNotThePath) {
  TempDir secrets;
  const auto secret = secrets.write_file(kMarker, std::string(kMainSecret) + "\n");
  ::chmod(secret.c_str(), 0644);
  ConfigOptions options;
  options.webhooks[0].secret_toml = "secret_file = \"" + secret.string() + "\"";

  TempDir dir;
  write_self_signed_cert(dir.path());
  const auto config = dir.write_file("chronohook.toml", make_config(options));
  const CommandResult r = run_chronohook({"check-config", "--config", config.string()});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("warning  [[webhook]] \"main\" secret_file (line"));
  EXPECT_THAT(r.out, HasSubstr("the secret file is readable by other users (mode 0644); chmod 600 it"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(std::string(kMarker).substr(0, 12))));

  Daemon daemon(make_config(options), Launch{});
  daemon.stop();
  const std::string log = daemon.log_text();
  EXPECT_THAT(log, HasSubstr("secret_file (line"));
  EXPECT_THAT(log, HasSubstr("the secret file is readable by other users"));
  EXPECT_THAT(log, Not(HasSubstr(std::string(kMarker).substr(0, 12))));
}

}  // namespace
}  // namespace chronohook::testing

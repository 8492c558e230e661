// A secret drchrono could never present is refused before the daemon
// listens: HTTP strips a header value's edge whitespace, so a secret_env
// value ending in a newline (or a secret with a leading space) would answer
// verification and then fail every hook with 401.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/daemon.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kSecret(kMainSecret);

CommandResult run(const char* command, const std::filesystem::path& config,
                  const std::map<std::string, std::string>& env) {
  return run_chronohook({command, "--config", config.string()}, env);
}

TEST(SecretShape, ASecretEnvValueEndingInANewlineIsRefusedByCheckConfigAndServe) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  ConfigOptions options;
  options.webhooks[0].secret_toml = "secret_env = \"BB_MAIN_HOOK_SECRET\"";
  const auto config = dir.write_file("chronohook.toml", make_config(options));
  const std::map<std::string, std::string> env{{"BB_MAIN_HOOK_SECRET", kSecret + "\n"}};
  for (const char* command : {"check-config", "serve"}) {
    const CommandResult r = run(command, config, env);
    ASSERT_FALSE(r.timed_out) << command;
    EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.out << r.err;
    EXPECT_THAT(r.err, StartsWith("config: [[webhook]] \"main\" secret_env (line "));
    EXPECT_THAT(r.err, HasSubstr("the value of the variable it names ends with a newline"));
    EXPECT_THAT(r.err, HasSubstr("set the variable to the secret alone"));
    EXPECT_THAT(r.out + r.err, Not(HasSubstr(kSecret))) << command;
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("BB_MAIN_HOOK_SECRET"))) << command;
  }
  // The same value without the newline is fine.
  const CommandResult ok = run("check-config", config, {{"BB_MAIN_HOOK_SECRET", kSecret}});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(SecretShape, SecretsWithEdgeWhitespaceFromTheFileOrASecretFileAreRefused) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  dir.write_file("main.secret", kSecret + " \n");
  dir.write_file("old.secret", "\t" + kSecret + "\n");
  struct Case {
    std::string toml;
    std::string key;      // as the message names it, before " (line N): "
    std::string problem;  // after it
  };
  for (const Case& c : {
           Case{"secret = \" " + kSecret + "\"", "[[webhook]] \"main\" secret", "the secret starts with a space"},
           Case{"secret_file = \"main.secret\"", "[[webhook]] \"main\" secret_file",
                "the secret in the file it names ends with a space"},
           Case{"secret = \"" + kSecret + "\"\nprevious_secrets = [\"" + kSecret + "\\r\"]",
                "[[webhook]] \"main\" previous_secrets[0]", "the secret ends with a carriage return"},
           Case{"secret = \"" + kSecret + "\"\nprevious_secret_files = [\"old.secret\"]",
                "[[webhook]] \"main\" previous_secret_files[0]", "the secret in the file it names starts with a tab"},
       }) {
    ConfigOptions options;
    options.webhooks[0].secret_toml = c.toml;
    const auto config = dir.write_file("chronohook.toml", make_config(options));
    for (const char* command : {"check-config", "serve"}) {
      const CommandResult r = run(command, config, {});
      ASSERT_FALSE(r.timed_out) << command;
      EXPECT_EQ(r.exit_code, 2) << c.toml << "\n" << r.out << r.err;
      EXPECT_THAT(r.err, StartsWith("config: " + c.key + " (line ")) << command;
      EXPECT_THAT(r.err, HasSubstr("): " + c.problem + "; ")) << command;
      EXPECT_THAT(r.err, HasSubstr("HTTP strips leading and trailing whitespace")) << command;
      EXPECT_THAT(r.out + r.err, Not(HasSubstr(kSecret))) << command;
    }
  }
}

TEST(SecretShape, ASecretWithAByteNoHeaderCanCarryIsRefused) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  ConfigOptions options;
  options.webhooks[0].secret_toml = "secret = \"" + kSecret.substr(0, 10) + "\\u00e9" + kSecret.substr(10) + "\"";
  const auto config = dir.write_file("chronohook.toml", make_config(options));
  const CommandResult r = run("check-config", config, {});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("the secret contains a non-ASCII byte"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kSecret.substr(0, 10))));
}

}  // namespace
}  // namespace chronohook::testing

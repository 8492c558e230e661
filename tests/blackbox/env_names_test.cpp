// A misspelt CHRONOHOOK_* variable stops check-config and serve with the
// name it probably meant, instead of being silently ignored while the file's
// value stays in force.
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

// Never shown: the value of an unknown variable could be a secret.
constexpr std::string_view kValue = "bb-env-value-4e1f0a9c";

TEST(EnvNames, AMisspeltVariableIsAConfigErrorThatSuggestsTheRightName) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  const auto config = dir.write_file("chronohook.toml", make_config());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"CHRONOHOOK_SERVR_LISTEN", "CHRONOHOOK_SERVER_LISTEN"},
      {"CHRONOHOOK_LOGLEVEL", "CHRONOHOOK_LOG_LEVEL"},
      {"chronohook_log_level", "CHRONOHOOK_LOG_LEVEL"},
      {"Chronohook_Server_Listen", "CHRONOHOOK_SERVER_LISTEN"},
      {"CHRONOHOOK_WEBHOOK_MAIN_SECRETFILE", "CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE"},
  };
  for (const auto& [variable, meant] : cases) {
    for (const char* command : {"check-config", "serve"}) {
      const CommandResult r = run_chronohook({command, "--config", config.string()}, {{variable, std::string(kValue)}});
      ASSERT_FALSE(r.timed_out) << variable << " " << command;
      EXPECT_EQ(r.exit_code, 2) << variable << " " << command << "\n" << r.out << r.err;
      EXPECT_THAT(r.err, StartsWith("config: environment variable " + variable)) << command;
      EXPECT_THAT(r.err, HasSubstr("did you mean " + meant + "?")) << command;
      EXPECT_THAT(r.out + r.err, Not(HasSubstr(std::string(kValue)))) << command;
      EXPECT_THAT(r.out + r.err, Not(HasSubstr("listening on"))) << command;
    }
  }
}

TEST(EnvNames, TheConfigPathVariableAndASecretEnvTargetAreAccepted) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  ConfigOptions options;
  options.webhooks[0].secret_toml = "secret_env = \"CHRONOHOOK_MAIN_HOOK_SECRET\"";
  const auto config = dir.write_file("chronohook.toml", make_config(options));
  const CommandResult r = run_chronohook({"check-config"}, {{"CHRONOHOOK_CONFIG", config.string()},
                                                            {"CHRONOHOOK_MAIN_HOOK_SECRET", std::string(kMainSecret)}});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("config " + config.string() + ": OK"));
  EXPECT_THAT(r.out, HasSubstr("from secret_env (line "));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(std::string(kMainSecret))));
}

}  // namespace
}  // namespace chronohook::testing

// Every CHRONOHOOK_* variable, in any case, either sets a key or is refused
// with the closest valid name: a misspelt override would otherwise leave the
// file's value in place while the operator believes it changed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

TEST(ConfigEnvNames, RefusesAMisspeltVariableSuggestingTheClosestName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"CHRONOHOOK_SERVR_LISTEN", "CHRONOHOOK_SERVER_LISTEN"},
      {"CHRONOHOOK_LOGLEVEL", "CHRONOHOOK_LOG_LEVEL"},
      {"CHRONOHOOK_CONFG", "CHRONOHOOK_CONFIG"},
      {"CHRONOHOOK_SERVER_LISEN", "CHRONOHOOK_SERVER_LISTEN"},
      {"CHRONOHOOK_STORAGE_PTAH", "CHRONOHOOK_STORAGE_PATH"},
      {"CHRONOHOOK_WEBHOOK_MIAN_PATH", "CHRONOHOOK_WEBHOOK_MAIN_PATH"},
      {"CHRONOHOOK_WEBHOOK_MAIN_SECRETFILE", "CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE"},
  };
  for (const auto& [variable, suggestion] : cases) {
    const std::string message = error_of(load(hook(), env_of({{variable, "0.0.0.0:1"}})));
    EXPECT_TRUE(Has(message, "config: environment variable " + variable)) << variable;
    EXPECT_TRUE(Has(message, "did you mean " + suggestion + "?")) << variable;
  }
  const std::string far = error_of(load(hook(), env_of({{"CHRONOHOOK_DATABASE", "x"}})));
  EXPECT_TRUE(Has(far, "CHRONOHOOK_DATABASE is not a chronohook setting"));
  EXPECT_FALSE(Has(far, "did you mean"));
  EXPECT_TRUE(Has(far, "CHRONOHOOK_STORAGE_<KEY>"));
}

TEST(ConfigEnvNames, RefusesLowerAndMixedCaseNames) {
  for (const auto& [variable, suggestion] :
       std::vector<std::pair<std::string, std::string>>{{"chronohook_server_listen", "CHRONOHOOK_SERVER_LISTEN"},
                                                        {"Chronohook_Log_Level", "CHRONOHOOK_LOG_LEVEL"},
                                                        {"CHRONOHOOK_server_listen", "CHRONOHOOK_SERVER_LISTEN"},
                                                        {"chronohook_config", "CHRONOHOOK_CONFIG"}}) {
    const std::string message = error_of(load(hook(), env_of({{variable, "x"}})));
    EXPECT_TRUE(Has(message, "environment variable " + variable)) << variable;
    EXPECT_TRUE(Has(message, "did you mean " + suggestion + "?")) << variable;
  }
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"chronohook_log_level", "x"}}))), "(the names are upper case)"));
}

TEST(ConfigEnvNames, NeverShowsTheValueOfAVariableItRefuses) {
  for (const char* variable : {"CHRONOHOOK_WEBHOOK_MAIN_SECERT", "chronohook_webhook_main_secret", "CHRONOHOOK_KEY"}) {
    error_of(load(hook(), env_of({{variable, std::string(kOtherSecret)}})));  // checks for leaks
  }
}

TEST(ConfigEnvNames, AcceptsTheVariablesASecretEnvNamesInAnyCase) {
  auto lower = load(hook("main", "/webhook", "secret_env = \"chronohook_main_secret\""),
                    env_of({{"chronohook_main_secret", std::string(kSecret)}}));
  ASSERT_TRUE(lower.ok()) << lower.error().message;
  EXPECT_EQ(lower->webhooks.at(0).secret.expose(), kSecret);
  auto from_override = load(hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV", "CHRONOHOOK_MAIN_KEY"},
                                            {"CHRONOHOOK_MAIN_KEY", std::string(kOtherSecret)}}));
  ASSERT_TRUE(from_override.ok()) << from_override.error().message;
  EXPECT_EQ(from_override->webhooks.at(0).secret.expose(), kOtherSecret);
}

TEST(ConfigEnvNames, PointsANearMissOfASecretEnvNameAtThatSecretEnvWithoutNamingIt) {
  const std::string message = error_of(load(hook("main", "/webhook", "secret_env = \"CHRONOHOOK_MAIN_SECRET\""),
                                            env_of({{"CHRONOHOOK_MAIN_SECRT", std::string(kSecret)}})));
  EXPECT_TRUE(Has(message,
                  "CHRONOHOOK_MAIN_SECRT is not a chronohook setting: is it the variable [[webhook]] "
                  "\"main\" secret_env (line 4) names, spelt differently?"));
  EXPECT_FALSE(Has(message, "CHRONOHOOK_MAIN_SECRET"));
}

TEST(ConfigEnvNames, RefusesASecretEnvThatNamesASetting) {
  EXPECT_TRUE(Has(error_of(load(hook("main", "/webhook", "secret_env = \"CHRONOHOOK_SERVER_LISTEN\""),
                                env_of({{"CHRONOHOOK_SERVER_LISTEN", std::string(kSecret)}}))),
                  "[[webhook]] \"main\" secret_env (line 4) names CHRONOHOOK_SERVER_LISTEN, which chronohook reads as "
                  "a setting"));
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV", "CHRONOHOOK_CONFIG"}}))),
                  "secret_env (from CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV) names CHRONOHOOK_CONFIG"));
}

TEST(ConfigEnvNames, RecordsWhichSettingsTheEnvironmentGaveAndWhatTheyReplaced) {
  TempDir dir;
  dir.write("main.secret", kOtherSecret);
  auto config = load_config_text("[server]\nlisten = \"127.0.0.1:8443\"\nthreads = 2\n" + hook(), dir.path() / "c.toml",
                                 env_of({{"CHRONOHOOK_SERVER_LISTEN", "0.0.0.0:9443"},
                                         {"CHRONOHOOK_LOG_LEVEL", "debug"},
                                         {"CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE", "main.secret"},
                                         {"CHRONOHOOK_WEBHOOK_MAIN_VERIFY", "no"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& settings = config->env_settings;
  ASSERT_EQ(settings.size(), 4u);
  EXPECT_EQ(settings.at("server.listen").variable, "CHRONOHOOK_SERVER_LISTEN");
  EXPECT_EQ(settings.at("server.listen").replaced, "the file's \"127.0.0.1:8443\"");
  EXPECT_EQ(settings.at("log.level").variable, "CHRONOHOOK_LOG_LEVEL");
  EXPECT_EQ(settings.at("log.level").replaced, "");
  EXPECT_EQ(settings.at("webhook.main.verify").replaced, "");
  // A secret-bearing key names what it replaced, never a value.
  EXPECT_EQ(settings.at("webhook.main.secret_file").variable, "CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE");
  EXPECT_EQ(settings.at("webhook.main.secret_file").replaced, "the file's secret");
  EXPECT_EQ(config->webhooks.at(0).secret_source,
            "secret_file (from CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE), replacing the file's secret");
  EXPECT_FALSE(settings.contains("server.threads"));
}

TEST(ConfigEnvNames, CollectsChronohookVariablesOfAnyCaseFromTheProcess) {
  const std::string lower = "chronohook_config_test_" + std::to_string(::getpid());
  const std::string other = "xchronohook_config_test_" + std::to_string(::getpid());
  ::setenv(lower.c_str(), "1", 1);
  ::setenv(other.c_str(), "1", 1);
  const ConfigEnvironment env = ConfigEnvironment::from_process();
  ::unsetenv(lower.c_str());
  ::unsetenv(other.c_str());
  EXPECT_TRUE(env.variables.contains(lower));
  EXPECT_FALSE(env.variables.contains(other));
}

}  // namespace
}  // namespace chronohook::config_test

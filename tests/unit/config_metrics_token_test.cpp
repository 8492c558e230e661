// [admin] metrics_token_file: read like a consumer's token_file, checked like
// a token, overridable from the environment, and never a consumer's token.
#include <gtest/gtest.h>

#include <string>

#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

std::string consumer_with(std::string_view token) {
  return "[[consumer]]\nname = \"billing\"\ntoken = \"" + std::string(token) + "\"\n";
}

TEST(ConfigMetricsToken, MetricsAreOpenWithoutTheKey) {
  auto config = load(hook() + "[admin]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->admin.metrics_token.has_value());
}

TEST(ConfigMetricsToken, ReadsTheTokenFileBesideTheConfigOrInTheCredentialsDirectory) {
  TempDir config_dir;
  TempDir credentials;
  config_dir.write("metrics.token", std::string(kSecret) + "\n");
  const std::string toml = hook() + "[admin]\nmetrics_token_file = \"metrics.token\"\n";
  auto beside = load_config_text(toml, config_dir.path() / "chronohook.toml", {});
  ASSERT_TRUE(beside.ok()) << beside.error().message;
  ASSERT_TRUE(beside->admin.metrics_token.has_value());
  EXPECT_EQ(beside->admin.metrics_token->expose(), kSecret);
  EXPECT_EQ(beside->admin.metrics_token_source, "metrics_token_file (line 6)");

  credentials.write("metrics.token", kOtherSecret);
  auto from_credentials = load_config_text(toml, config_dir.path() / "chronohook.toml",
                                           env_of({{"CREDENTIALS_DIRECTORY", credentials.path().string()}}));
  ASSERT_TRUE(from_credentials.ok()) << from_credentials.error().message;
  EXPECT_EQ(from_credentials->admin.metrics_token->expose(), kOtherSecret);
  EXPECT_TRUE(Has(from_credentials->admin.metrics_token_source, "found in $CREDENTIALS_DIRECTORY"));
}

TEST(ConfigMetricsToken, TheEnvironmentCanSetTheFile) {
  TempDir config_dir;
  config_dir.write("scrape.token", kSecret);
  auto config = load_config_text(hook() + "[admin]\n", config_dir.path() / "chronohook.toml",
                                 env_of({{"CHRONOHOOK_ADMIN_METRICS_TOKEN_FILE", "scrape.token"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_TRUE(config->admin.metrics_token.has_value());
  EXPECT_EQ(config->admin.metrics_token->expose(), kSecret);
  EXPECT_EQ(config->env_settings.at("admin.metrics_token_file").variable, "CHRONOHOOK_ADMIN_METRICS_TOKEN_FILE");
}

TEST(ConfigMetricsToken, RefusesAMissingFileOrAShortTokenWithoutShowingEither) {
  TempDir config_dir;
  config_dir.write("short.token", kShortSecret);
  const std::string missing =
      error_of(load_config_text(hook() + "[admin]\nmetrics_token_file = \"nope.token\"\n",
                                config_dir.path() / "chronohook.toml", {}));
  EXPECT_TRUE(Has(missing, "[admin] metrics_token_file (line 6) must be a path to a readable file"));
  EXPECT_FALSE(Has(missing, "nope.token"));
  EXPECT_TRUE(Has(error_of(load_config_text(hook() + "[admin]\nmetrics_token_file = \"short.token\"\n",
                                            config_dir.path() / "chronohook.toml", {})),
                  "the token in the file it names is 11 bytes; at least 16 are required"));
}

TEST(ConfigMetricsToken, RefusesAConsumersToken) {
  TempDir config_dir;
  config_dir.write("metrics.token", kSecret);
  const std::string error =
      error_of(load_config_text(hook() + "[admin]\nmetrics_token_file = \"metrics.token\"\n" + consumer_with(kSecret),
                                config_dir.path() / "chronohook.toml", {}));
  EXPECT_TRUE(Has(error, "the token is [[consumer]] \"billing\"'s"));
}

}  // namespace
}  // namespace chronohook::config_test

// No message repeats the value of a secret-bearing key: secret,
// previous_secrets, and also secret_file, secret_env and
// previous_secret_files, whose value is a secret when an operator pastes the
// secret into the wrong key. Each message names the key and the expected
// shape instead. error_of() fails the test on any five bytes of kSecret.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/messages.hpp"
#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

const std::string kS(kSecret);

TEST(ConfigSecretEcho, NamesSecretFileAndSecretEnvWithoutRepeatingASecretPutInThem) {
  struct Case {
    std::string toml;
    ConfigEnvironment env;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {hook("main", "/webhook", "secret_file = \"" + kS + "\""),
       {},
       "[[webhook]] \"main\" secret_file (line 4) must be a path to a readable file; the file it names cannot be "
       "read: No such file or directory"},
      {hook("main", "/webhook", "secret_env = \"" + kS + "\""),
       {},
       "[[webhook]] \"main\" secret_env (line 4): the environment variable it names is not set"},
      {hook("main", "/webhook", "secret_env = \"" + kS + "+/=\""),
       {},
       "[[webhook]] \"main\" secret_env (line 4) must name an environment variable: letters, digits and '_', not "
       "starting with a digit"},
      {hook("main", "/webhook", "secret_env = \"7" + kS + "\""),
       {},
       "secret_env (line 4) must name an environment variable"},
      {hook() + "previous_secret_files = [\"" + kS + "\"]\n",
       {},
       "[[webhook]] \"main\" previous_secret_files[0] (line 5) must be a path to a readable file; the file it names "
       "cannot be read"},
      {hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE", kS}}),
       "[[webhook]] \"main\" secret_file (from CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE) must be a path to a readable file"},
      {hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV", kS}}),
       "[[webhook]] \"main\" secret_env (from CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV): the environment variable it names "
       "is not set"},
      {hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV", "=" + kS}}), "must name an environment variable"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(load_config_text(c.toml, "/nonexistent-dir/chronohook.toml", c.env));
    EXPECT_TRUE(Has(message, c.expected)) << c.toml;
  }
}

TEST(ConfigSecretEcho, KeepsASecretOutOfSyntaxAndTypeErrorsOnEverySecretBearingKey) {
  const std::vector<std::string> files = {
      hook("main", "/webhook", "secret_file = " + kS),
      hook("main", "/webhook", "secret_file = /run/secrets/" + kS),
      hook("main", "/webhook", "secret_env = " + kS),
      hook("main", "/webhook", "secret_file = \"" + kS),
      hook("main", "/webhook", "secret_env = '" + kS),
      hook() + "previous_secret_files = [" + kS + "]\n",
      hook() + "previous_secret_files = [\"a\", " + kS + "]\n",
      hook() + "previous_secret_files = [\n  \"a\",\n  " + kS + "\n]\n",
      hook("main", "/webhook", "secret_file = [\"" + kS + "\"]"),
      hook("main", "/webhook", "secret_env = { name = \"" + kS + "\" }"),
      hook() + "previous_secret_files = \"" + kS + "\"\n",
      hook() + "previous_secret_files = [[\"" + kS + "\"]]\n",
      // A secret typed where a key belongs: as an unknown key, twice, at the top.
      hook() + kS + " = true\n",
      hook() + kS + " = 1\n" + kS + " = 2\n",
      kS + " = 1\n" + hook(),
      "[" + kS + "]\n" + hook(),
      hook() + "secret_file.x" + kS + " = 1\n",
  };
  for (const std::string& toml : files) {
    auto result = load(toml);
    ASSERT_FALSE(result.ok()) << toml;
    error_of(result);  // checks for leaks
  }
}

TEST(ConfigSecretEcho, ShowsAnUnknownKeyOnlyWhenItLooksLikeAKeyName) {
  using config_detail::key_for_message;
  EXPECT_EQ(key_for_message("lisen"), "\"lisen\"");
  EXPECT_EQ(key_for_message("Listen"), "\"Listen\"");
  EXPECT_EQ(key_for_message("verify_rate_per_minut"), "\"verify_rate_per_minut\"");
  for (std::string_view key : {std::string_view(kSecret), std::string_view("deadbeefcafebabe0123456789abcdef01234567"),
                               std::string_view("abcdefghijklmnopqrst"), std::string_view("tls2")}) {
    EXPECT_EQ(key_for_message(key).find(key), std::string::npos) << key;
  }
  EXPECT_TRUE(Has(error_of(load(hook() + kS + " = true\n")),
                  "unknown key of 24 bytes (not shown: it does not look like a key name and could be a secret typed "
                  "where a key belongs) in [[webhook]] \"main\" (line 5)"));
}

TEST(ConfigSecretEcho, WarnsAboutAReadableSecretFileByItsKeyNotItsPath) {
  TempDir dir;
  dir.write(kS, kOtherSecret, 0644);  // a file whose name is secret-like
  auto config = load_config_text(hook("main", "/webhook", "secret_file = \"" + kS + "\""), dir.path() / "c.toml", {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_TRUE(Has(config->warnings[0], "[[webhook]] \"main\" secret_file (line 4): the secret file is readable"));
  EXPECT_FALSE(leaks(config->warnings[0], kSecret)) << config->warnings[0];
  EXPECT_FALSE(leaks(config->webhooks.at(0).secret_source, kSecret)) << config->webhooks[0].secret_source;
}

}  // namespace
}  // namespace chronohook::config_test

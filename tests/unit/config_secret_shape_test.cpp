// Secrets that could never authenticate a hook are refused at load: drchrono
// sends the secret as a header value, HTTP strips a header value's edge
// whitespace and cannot carry control bytes, so such a secret would pass
// verification (an HMAC over the whole value) and fail every POST with 401.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/messages.hpp"
#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

const std::string kS(kSecret);

TEST(ConfigSecretShape, RefusesAnInlineSecretWithEdgeWhitespace) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" " + kS, "the secret starts with a space"},           {kS + " ", "the secret ends with a space"},
      {"\\t" + kS, "the secret starts with a tab"},           {kS + "\\n", "the secret ends with a newline"},
      {kS + "\\r", "the secret ends with a carriage return"}, {kS + "\\f", "the secret ends with whitespace"},
  };
  for (const auto& [value, expected] : cases) {
    const std::string message = error_of(load(hook("main", "/webhook", "secret = \"" + value + "\"")));
    EXPECT_TRUE(Has(message, "config: [[webhook]] \"main\" secret (line 4): " + expected)) << value;
    EXPECT_TRUE(Has(message, "HTTP strips leading and trailing whitespace from header values")) << value;
  }
}

TEST(ConfigSecretShape, RefusesASecretEnvValueEndingInANewlineAndStripsNothing) {
  const std::string toml = hook("main", "/webhook", "secret_env = \"CHRONOHOOK_TEST_MAIN_SECRET\"");
  const std::string message = error_of(load(toml, env_of({{"CHRONOHOOK_TEST_MAIN_SECRET", kS + "\n"}})));
  EXPECT_EQ(message,
            "config: [[webhook]] \"main\" secret_env (line 4): the value of the variable it names ends with a newline; "
            "HTTP strips leading and trailing whitespace from header values, so drchrono's X-drchrono-signature could "
            "never match it: set the variable to the secret alone (nothing is removed from a variable's value, not "
            "even a final newline)");
  EXPECT_TRUE(Has(error_of(load(toml, env_of({{"CHRONOHOOK_TEST_MAIN_SECRET", " " + kS}}))),
                  "the value of the variable it names starts with a space"));
  EXPECT_TRUE(load(toml, env_of({{"CHRONOHOOK_TEST_MAIN_SECRET", kS}})).ok());
}

TEST(ConfigSecretShape, RefusesASecretFileWithEdgeWhitespaceLeftAfterItsNewlines) {
  TempDir dir;
  const std::string toml = hook("main", "/webhook", "secret_file = \"secret\"");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kS + "\t\n", "ends with a tab"},           {kS + " \n", "ends with a space"},
      {kS + "\r", "ends with a carriage return"}, {kS + "\n\r", "ends with a carriage return"},
      {" " + kS + "\n", "starts with a space"},   {"\n" + kS + "\n", "starts with a newline"},
  };
  for (const auto& [content, expected] : cases) {
    dir.write("secret", content);
    const std::string message = error_of(load_config_text(toml, dir.path() / "c.toml", {}));
    EXPECT_TRUE(Has(message, "[[webhook]] \"main\" secret_file (line 4): the secret in the file it names " + expected))
        << content;
    EXPECT_TRUE(Has(message, "make the file hold the secret alone")) << content;
  }
}

TEST(ConfigSecretShape, RefusesPreviousSecretsAndOverridesWithEdgeWhitespace) {
  EXPECT_TRUE(Has(error_of(load(hook() + "previous_secrets = [\"" + std::string(kOtherSecret) + " \"]\n")),
                  "[[webhook]] \"main\" previous_secrets[0] (line 5): the secret ends with a space"));
  TempDir dir;
  dir.write("old", std::string(kOtherSecret) + "\t");
  EXPECT_TRUE(Has(error_of(load_config_text(hook() + "previous_secret_files = [\"old\"]\n", dir.path() / "c.toml", {})),
                  "[[webhook]] \"main\" previous_secret_files[0] (line 5): the secret in the file it names ends with "
                  "a tab"));
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET", kS + "\n"}}))),
                  "[[webhook]] \"main\" secret (from CHRONOHOOK_WEBHOOK_MAIN_SECRET): the secret ends with a newline"));
}

TEST(ConfigSecretShape, RefusesBytesAHeaderValueCannotCarry) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kS.substr(0, 8) + "\\n" + kS.substr(8), "contains a line break"},
      {kS.substr(0, 8) + "\\r" + kS.substr(8), "contains a line break"},
      {kS.substr(0, 8) + "\\u0001" + kS.substr(8), "contains a control character"},
      {kS.substr(0, 8) + "\\u007f" + kS.substr(8), "contains a control character"},
      {kS.substr(0, 8) + "\\u00e9" + kS.substr(8), "contains a non-ASCII byte"},
  };
  for (const auto& [value, expected] : cases) {
    const std::string message = error_of(load(hook("main", "/webhook", "secret = \"" + value + "\"")));
    EXPECT_TRUE(Has(message, "[[webhook]] \"main\" secret (line 4): the secret " + expected)) << value;
  }
  EXPECT_TRUE(
      Has(error_of(load(hook("main", "/webhook", "secret = \"" + kS.substr(0, 8) + "\\u00e9" + kS.substr(8) + "\""))),
          "use printable ASCII (drchrono suggests 40 hex characters)"));
}

TEST(ConfigSecretShape, KeepsSpacesAndTabsInsideASecret) {
  for (const std::string& value : {kS.substr(0, 8) + " " + kS.substr(8), kS.substr(0, 8) + "\\t" + kS.substr(8),
                                   std::string("!#$%&'()*+,-./:;<=>?@[]^_`{|}~0123")}) {
    auto config = load(hook("main", "/webhook", "secret = \"" + value + "\""));
    EXPECT_TRUE(config.ok()) << value << ": " << (config.ok() ? "" : config.error().message);
  }
}

TEST(ConfigSecretShape, DescribesTheProblemByKindNeverByByte) {
  using config_detail::secret_shape_problem;
  EXPECT_FALSE(secret_shape_problem(kS).has_value());
  EXPECT_EQ(secret_shape_problem("\v" + kS).value_or(""), "starts with whitespace");
  EXPECT_EQ(secret_shape_problem(kS + std::string(1, '\0')).value_or(""), "contains a control character");
  EXPECT_EQ(secret_shape_problem(kS + "\x80" + kS).value_or(""), "contains a non-ASCII byte");
}

}  // namespace
}  // namespace chronohook::config_test

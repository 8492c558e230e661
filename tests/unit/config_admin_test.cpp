// [admin] and [[consumer]]: the pull API is off without the table, plain HTTP
// only on loopback, and consumer tokens load like webhook secrets without
// ever reaching a message.
#include <gtest/gtest.h>

#include <string>

#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

std::string consumer(std::string_view name, std::string_view token_line) {
  return "[[consumer]]\nname = \"" + std::string(name) + "\"\n" + std::string(token_line) + "\n";
}

std::string inline_token(std::string_view token = kSecret) {
  return "token = \"" + std::string(token) + "\"";
}

TEST(ConfigAdmin, IsOffWithoutAnAdminTable) {
  auto config = load(hook());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->admin.enabled);
  EXPECT_TRUE(config->consumers.empty());
}

TEST(ConfigAdmin, AnEmptyAdminTableTurnsItOnWithTheDefaults) {
  auto config = load(hook() + "[admin]\n" + consumer("billing", inline_token()));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->admin.enabled);
  EXPECT_EQ(config->admin.listen.to_string(), "127.0.0.1:9443");
  EXPECT_TRUE(config->admin.tls_cert.empty());
  EXPECT_EQ(config->admin.readers, 4u);
  ASSERT_EQ(config->consumers.size(), 1u);
  EXPECT_EQ(config->consumers[0].name, "billing");
  EXPECT_EQ(config->consumers[0].token.expose(), kSecret);
  EXPECT_EQ(config->consumers[0].token_source, "token (line 8)");
  EXPECT_TRUE(config->warnings.empty());
}

TEST(ConfigAdmin, ReadsEveryKeyAndResolvesTlsPathsAgainstTheConfigDirectory) {
  auto config = load(hook() +
                     "[admin]\nlisten = \"[::]:9000\"\ntls_cert = \"admin.pem\"\ntls_key = \"/k/admin.key\"\n"
                     "readers = 9\n" +
                     consumer("a", inline_token()));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->admin.listen.to_string(), "[::]:9000");
  EXPECT_EQ(config->admin.tls_cert, "/etc/chronohook/admin.pem");
  EXPECT_EQ(config->admin.tls_key, "/k/admin.key");
  EXPECT_EQ(config->admin.readers, 9u);
}

TEST(ConfigAdmin, AllowsPlainHttpOnlyOnALoopbackAddress) {
  for (const char* listen : {"127.0.0.1:1", "127.4.5.6:1", "[::1]:1", "localhost:1"}) {
    auto config = load(hook() + "[admin]\nlisten = \"" + listen + "\"\n");
    EXPECT_TRUE(config.ok()) << listen << ": " << config.error().message;
  }
  for (const char* listen : {"0.0.0.0:9443", "192.0.2.1:9443", "[::]:9443", "admin.example:9443"}) {
    const std::string message = error_of(load(hook() + "[admin]\nlisten = \"" + listen + "\"\n"));
    EXPECT_TRUE(Has(message, "config: [admin] listen (line 6) is")) << listen;
    EXPECT_TRUE(Has(message, "plain HTTP is allowed only on a loopback address")) << listen;
  }
}

TEST(ConfigAdmin, NeedsBothTlsCertAndTlsKeyOrNeither) {
  EXPECT_TRUE(Has(error_of(load(hook() + "[admin]\ntls_cert = \"a.pem\"\n")),
                  "config: [admin] tls_cert (line 6) is set but tls_key is not"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[admin]\ntls_key = \"a.key\"\n")),
                  "config: [admin] tls_key (line 6) is set but tls_cert is not"));
}

TEST(ConfigAdmin, RefusesUnknownKeysAndOutOfRangeReaders) {
  EXPECT_TRUE(Has(error_of(load(hook() + "[admin]\nlisen = \"127.0.0.1:1\"\n")), "unknown key \"lisen\" in [admin]"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[admin]\nreaders = 0\n")), "[admin] readers (line 6) is 0"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[[consumer]]\nname = \"a\"\ntoken = \"x\"\ncolour = 1\n")),
                  "unknown key \"colour\" in [[consumer]] \"a\""));
}

TEST(ConfigAdmin, TakesOverridesFromTheEnvironmentOnlyWhenTheTableExists) {
  auto config = load(hook() + "[admin]\n",
                     env_of({{"CHRONOHOOK_ADMIN_LISTEN", "127.0.0.1:7000"}, {"CHRONOHOOK_ADMIN_READERS", "2"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->admin.listen.port, 7000);
  EXPECT_EQ(config->admin.readers, 2u);
  EXPECT_EQ(config->env_settings.at("admin.listen").variable, "CHRONOHOOK_ADMIN_LISTEN");

  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_ADMIN_LISTEN", "127.0.0.1:7000"}}))),
                  "CHRONOHOOK_ADMIN_LISTEN sets a key of [admin], but the config has no [admin] table"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[admin]\n", env_of({{"CHRONOHOOK_ADMIN_LISTN", "x"}}))),
                  "did you mean CHRONOHOOK_ADMIN_LISTEN?"));
}

TEST(ConfigConsumer, RefusesBadMissingAndDuplicateNames) {
  EXPECT_TRUE(Has(error_of(load(hook() + "[[consumer]]\n" + inline_token() + "\n")), "has no name"));
  EXPECT_TRUE(Has(error_of(load(hook() + consumer("bad name", inline_token()))),
                  "a consumer's name is 1 to 64 letters, digits, '_', '.' or '-'"));
  EXPECT_TRUE(Has(error_of(load(hook() + consumer("a", inline_token()) + consumer("a", inline_token(kOtherSecret)))),
                  "another [[consumer]] is already named \"a\""));
  auto dotted = load(hook() + consumer("sync.v2-a_b", inline_token()));
  EXPECT_TRUE(dotted.ok()) << dotted.error().message;
}

TEST(ConfigConsumer, NeedsExactlyOneTokenSource) {
  EXPECT_TRUE(Has(error_of(load(hook() + "[[consumer]]\nname = \"a\"\n")),
                  "config: [[consumer]] \"a\" has no token: set token_file, token_env or token"));
  EXPECT_TRUE(Has(error_of(load(hook() + consumer("a", inline_token() + "\ntoken_env = \"X_TOKEN\""))),
                  "has more than one token source (token (line 7) and token_env (line 8))"));
}

TEST(ConfigConsumer, RefusesShortOrUnsendableTokensWithoutShowingThem) {
  EXPECT_TRUE(Has(error_of(load(hook() + consumer("a", inline_token(kShortSecret)))),
                  "[[consumer]] \"a\" token (line 7): the token is 11 bytes; at least 16 are required"));
  EXPECT_TRUE(Has(error_of(load(hook() + consumer("a", "token = \"Zq7Xw9Kp3 Vt6Yr2Mb8Nc4Ld1\""))),
                  "holds a space, a control character or a non-ASCII byte"));
  EXPECT_TRUE(Has(error_of(load(hook() + consumer("a", inline_token()) + consumer("b", inline_token()))),
                  "[[consumer]] \"b\" token (line 10): the token is the same as [[consumer]] \"a\"'s"));
}

TEST(ConfigConsumer, ReadsTokenFilesLikeSecretFilesCredentialsDirectoryFirst) {
  TempDir config_dir;
  TempDir credentials;
  config_dir.write("billing.token", std::string(kOtherSecret) + "\n");
  const std::string toml = hook() + consumer("billing", "token_file = \"billing.token\"");
  auto beside = load_config_text(toml, config_dir.path() / "chronohook.toml", {});
  ASSERT_TRUE(beside.ok()) << beside.error().message;
  EXPECT_EQ(beside->consumers.at(0).token.expose(), kOtherSecret);

  credentials.write("billing.token", kSecret);
  auto from_credentials = load_config_text(toml, config_dir.path() / "chronohook.toml",
                                           env_of({{"CREDENTIALS_DIRECTORY", credentials.path().string()}}));
  ASSERT_TRUE(from_credentials.ok()) << from_credentials.error().message;
  EXPECT_EQ(from_credentials->consumers.at(0).token.expose(), kSecret);
  EXPECT_TRUE(Has(from_credentials->consumers.at(0).token_source, "found in $CREDENTIALS_DIRECTORY"));

  const std::string missing = error_of(load_config_text(hook() + consumer("billing", "token_file = \"nope.token\""),
                                                        config_dir.path() / "chronohook.toml", {}));
  EXPECT_TRUE(Has(missing, "[[consumer]] \"billing\" token_file (line 7) must be a path to a readable file"));
  EXPECT_FALSE(Has(missing, "nope.token"));
}

TEST(ConfigConsumer, WarnsAboutATokenFileOthersCanRead) {
  TempDir config_dir;
  config_dir.write("billing.token", kOtherSecret, 0644);
  auto config = load_config_text(hook() + consumer("billing", "token_file = \"billing.token\""),
                                 config_dir.path() / "chronohook.toml", {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_TRUE(Has(config->warnings[0], "[[consumer]] \"billing\" token_file (line 7): the secret file is readable"));
}

TEST(ConfigConsumer, ReadsTokenEnvAndAcceptsTheVariableItNames) {
  auto config = load(hook() + consumer("billing", "token_env = \"CHRONOHOOK_BILLING_TOKEN\""),
                     env_of({{"CHRONOHOOK_BILLING_TOKEN", std::string(kOtherSecret)}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->consumers.at(0).token.expose(), kOtherSecret);
  EXPECT_TRUE(Has(error_of(load(hook() + consumer("billing", "token_env = \"CHRONOHOOK_UNSET_TOKEN_X\""))),
                  "token_env (line 7): the environment variable it names is not set"));
}

TEST(ConfigConsumer, WarnsWhenTheApiIsOnWithoutConsumers) {
  auto config = load(hook() + "[admin]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_TRUE(Has(config->warnings[0], "no [[consumer]] is configured"));
}

}  // namespace
}  // namespace chronohook::config_test

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chronohook/config.hpp"
#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

// ---------------------------------------------------------------- the basics

TEST(Config, LoadsTheExampleFileAndItDocumentsTheDefaults) {
  TempDir credentials;
  credentials.write("secret", std::string(kSecret) + "\n");
  const fs::path example = fs::path(CHRONOHOOK_SOURCE_DIR) / "config" / "chronohook.toml";

  auto config = load_config(example, env_of({{"CREDENTIALS_DIRECTORY", credentials.path().string()}}));

  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->source, example);
  EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();
  const ServerConfig server;
  EXPECT_EQ(config->server.listen.to_string(), server.listen.to_string());
  EXPECT_EQ(config->server.tls, server.tls);
  EXPECT_EQ(config->server.tls_cert, server.tls_cert);
  EXPECT_EQ(config->server.tls_key, server.tls_key);
  EXPECT_EQ(config->server.threads, server.threads);
  EXPECT_EQ(config->server.max_connections, server.max_connections);
  EXPECT_EQ(config->server.max_body_bytes, server.max_body_bytes);
  EXPECT_EQ(config->server.max_header_bytes, server.max_header_bytes);
  EXPECT_EQ(config->server.max_msg_bytes, server.max_msg_bytes);
  EXPECT_EQ(config->server.handshake_timeout, server.handshake_timeout);
  EXPECT_EQ(config->server.header_timeout, server.header_timeout);
  EXPECT_EQ(config->server.body_timeout, server.body_timeout);
  EXPECT_EQ(config->server.idle_timeout, server.idle_timeout);
  EXPECT_EQ(config->server.write_timeout, server.write_timeout);
  EXPECT_EQ(config->server.shutdown_timeout, server.shutdown_timeout);
  EXPECT_EQ(config->server.verify_rate_per_minute, server.verify_rate_per_minute);
  EXPECT_EQ(config->server.verify_rate_per_minute_per_source, server.verify_rate_per_minute_per_source);
  const StorageConfig storage;
  EXPECT_EQ(config->storage.path, storage.path);
  EXPECT_EQ(config->storage.synchronous, storage.synchronous);
  EXPECT_EQ(config->storage.busy_timeout, storage.busy_timeout);
  EXPECT_EQ(config->storage.queue_capacity, storage.queue_capacity);
  EXPECT_EQ(config->storage.max_batch, storage.max_batch);
  const LogConfig log;
  EXPECT_EQ(config->log.level, log.level);
  EXPECT_EQ(config->log.access_log, log.access_log);
  ASSERT_EQ(config->webhooks.size(), 1u);
  EXPECT_EQ(config->webhooks[0].name, "main");
  EXPECT_EQ(config->webhooks[0].path, "/webhook");
  EXPECT_EQ(config->webhooks[0].secret.expose(), kSecret);
  EXPECT_TRUE(config->webhooks[0].previous_secrets.empty());
  EXPECT_TRUE(config->webhooks[0].verify);
}

TEST(Config, AppliesTheDefaultsWhenOnlyAWebhookIsGiven) {
  auto config = load(hook());

  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->source, kConfigFile);
  EXPECT_EQ(config->server.listen.host, "0.0.0.0");
  EXPECT_EQ(config->server.listen.port, 8443);
  EXPECT_TRUE(config->server.tls);
  EXPECT_EQ(config->server.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(config->server.body_timeout, std::chrono::milliseconds(30'000));
  EXPECT_EQ(config->storage.path, fs::path("/var/lib/chronohook/events.db"));
  EXPECT_EQ(config->storage.synchronous, Synchronous::kFull);
  EXPECT_EQ(config->log.level, "info");
  EXPECT_TRUE(config->log.access_log);
  EXPECT_TRUE(config->webhooks.at(0).verify);
  EXPECT_TRUE(config->warnings.empty());
}

TEST(Config, ReadsEveryKeyItIsGiven) {
  auto config = load(R"([server]
listen = "127.0.0.1:9000"
tls_cert = "/tls/c.pem"
tls_key = "/tls/k.pem"
threads = 4
max_connections = 10
max_body_bytes = 2048
max_header_bytes = 4096
max_msg_bytes = 64
handshake_timeout_ms = 101
header_timeout_ms = 102
body_timeout_ms = 103
idle_timeout_ms = 104
write_timeout_ms = 105
shutdown_timeout_ms = 106
verify_rate_per_minute = 7
[storage]
path = "/data/e.db"
synchronous = "normal"
busy_timeout_ms = 0
queue_capacity = 8
max_batch = 2
[log]
level = "debug"
access_log = false
)" + hook("main", "/hooks/drchrono", "secret = \"" + std::string(kSecret) + "\"\nverify = false"));

  ASSERT_TRUE(config.ok()) << config.error().message;
  const Config& c = *config;
  EXPECT_EQ(c.server.listen.to_string(), "127.0.0.1:9000");
  EXPECT_EQ(c.server.tls_cert, fs::path("/tls/c.pem"));
  EXPECT_EQ(c.server.tls_key, fs::path("/tls/k.pem"));
  EXPECT_EQ(c.server.threads, 4u);
  EXPECT_EQ(c.server.max_connections, 10u);
  EXPECT_EQ(c.server.max_body_bytes, 2048u);
  EXPECT_EQ(c.server.max_header_bytes, 4096u);
  EXPECT_EQ(c.server.max_msg_bytes, 64u);
  EXPECT_EQ(c.server.handshake_timeout.count(), 101);
  EXPECT_EQ(c.server.header_timeout.count(), 102);
  EXPECT_EQ(c.server.body_timeout.count(), 103);
  EXPECT_EQ(c.server.idle_timeout.count(), 104);
  EXPECT_EQ(c.server.write_timeout.count(), 105);
  EXPECT_EQ(c.server.shutdown_timeout.count(), 106);
  EXPECT_EQ(c.server.verify_rate_per_minute, 7u);
  EXPECT_EQ(c.storage.path, fs::path("/data/e.db"));
  EXPECT_EQ(c.storage.synchronous, Synchronous::kNormal);
  EXPECT_EQ(c.storage.busy_timeout.count(), 0);
  EXPECT_EQ(c.storage.queue_capacity, 8u);
  EXPECT_EQ(c.storage.max_batch, 2u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_FALSE(c.log.access_log);
  EXPECT_EQ(c.webhooks.at(0).path, "/hooks/drchrono");
  EXPECT_FALSE(c.webhooks.at(0).verify);
}

TEST(Config, ListensOnIpv6WithBracketsInToString) {
  EXPECT_EQ((ListenAddress{"::", 8443}).to_string(), "[::]:8443");
  EXPECT_EQ((ListenAddress{"::1", 0}).to_string(), "[::1]:0");
  EXPECT_EQ((ListenAddress{"127.0.0.1", 80}).to_string(), "127.0.0.1:80");
  EXPECT_EQ((ListenAddress{"localhost", 65535}).to_string(), "localhost:65535");
}

TEST(Config, NamesSynchronousModesAsTheFileSpellsThem) {
  EXPECT_STREQ(to_string(Synchronous::kFull), "full");
  EXPECT_STREQ(to_string(Synchronous::kNormal), "normal");
}

TEST(Config, AcceptsTheCurrentSecretFirstThenThePreviousOnes) {
  auto config = load(hook("main", "/webhook",
                          "secret = \"" + std::string(kSecret) + "\"\nprevious_secrets = [\"" +
                              std::string(kOtherSecret) + "\", \"0123456789abcdef\"]"));

  ASSERT_TRUE(config.ok()) << config.error().message;
  const std::vector<Secret> accepted = config->webhooks.at(0).accepted_secrets();
  ASSERT_EQ(accepted.size(), 3u);
  EXPECT_EQ(accepted[0].expose(), kSecret);
  EXPECT_EQ(accepted[1].expose(), kOtherSecret);
  EXPECT_EQ(accepted[2].expose(), "0123456789abcdef");
}

TEST(Config, LoadsSeveralWebhooks) {
  auto config = load(hook("main", "/webhook") + hook("billing-app", "/webhook/billing"));

  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->webhooks.size(), 2u);
  EXPECT_EQ(config->webhooks[1].name, "billing-app");
  EXPECT_EQ(config->webhooks[1].path, "/webhook/billing");
}

// ------------------------------------------------------------ listen forms

TEST(Config, ParsesEveryListenForm) {
  const std::vector<std::pair<std::string, ListenAddress>> cases = {
      {"0.0.0.0:8443", {"0.0.0.0", 8443}},
      {"127.0.0.1:0", {"127.0.0.1", 0}},
      {"localhost:65535", {"localhost", 65535}},
      {"[::]:8443", {"::", 8443}},
      {"[::1]:1", {"::1", 1}},
      {"[fe80::1%eth0]:8443", {"fe80::1%eth0", 8443}},
      {"[::ffff:127.0.0.1]:80", {"::ffff:127.0.0.1", 80}},
  };
  for (const auto& [text, expected] : cases) {
    auto config = load("[server]\nlisten = \"" + text + "\"\n" + hook());
    ASSERT_TRUE(config.ok()) << text << ": " << config.error().message;
    EXPECT_EQ(config->server.listen.host, expected.host) << text;
    EXPECT_EQ(config->server.listen.port, expected.port) << text;
  }
}

TEST(Config, RefusesBadListenForms) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"8443", "expected \"host:port\""},
      {":8443", "the host is missing"},
      {"0.0.0.0:", "the port must be a number from 0 to 65535"},
      {"0.0.0.0:65536", "the port must be a number from 0 to 65535"},
      {"0.0.0.0:-1", "the port must be a number"},
      {"0.0.0.0:84a3", "the port must be a number"},
      {"0.0.0.0:000008443", "the port must be a number"},
      {"::1:8443", "an IPv6 address goes in brackets"},
      {"[::1]8443", "expected ':' and a port after ']'"},
      {"[::1:8443", "closing ']'"},
      {"[127.0.0.1]:80", "brackets are for IPv6 addresses"},
      {"[::g]:80", "not an IPv6 address"},
      {"[]:80", "brackets are for IPv6 addresses"},
      {"my host:80", "the host must be an IPv4 address or a host name"},
      {"", "expected \"host:port\""},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = error_of(load("[server]\nlisten = \"" + text + "\"\n" + hook()));
    EXPECT_TRUE(Has(message, "[server] listen (line 2) is \"" + text + "\"")) << text;
    EXPECT_TRUE(Has(message, expected)) << text;
  }
}

// ------------------------------------------------------- unknown names, types

TEST(Config, RefusesAnUnknownKeyInServer) {
  const std::string message = error_of(load("[server]\nthreads = 2\nlisen = \"0.0.0.0:1\"\n" + hook()));
  EXPECT_EQ(message,
            "config: unknown key \"lisen\" in [server] (line 3): check the spelling; config/chronohook.toml lists "
            "every key");
}

TEST(Config, RefusesAnUnknownKeyInStorageLogAndWebhook) {
  EXPECT_TRUE(Has(error_of(load("[storage]\nsynchronus = \"full\"\n" + hook())),
                  "unknown key \"synchronus\" in [storage] (line 2)"));
  EXPECT_TRUE(Has(error_of(load("[log]\n\nlevl = \"info\"\n" + hook())), "unknown key \"levl\" in [log] (line 3)"));
  EXPECT_TRUE(
      Has(error_of(load(hook() + "verfy = false\n")), "unknown key \"verfy\" in [[webhook]] \"main\" (line 5)"));
  // A misspelt name still gets the webhook pointed at by its position.
  EXPECT_TRUE(Has(error_of(load("[[webhook]]\nnmae = \"main\"\n")), "unknown key \"nmae\" in [[webhook]] #1 (line 1)"));
  // A table nested where a value belongs is as unknown as a key.
  EXPECT_TRUE(Has(error_of(load("[server.limits]\nx = 1\n" + hook())), "unknown key \"limits\" in [server]"));
}

TEST(Config, RefusesAnUnknownTableOrTopLevelKey) {
  EXPECT_TRUE(Has(error_of(load("[serve]\nlisten = \"0.0.0.0:1\"\n" + hook())), "unknown table [serve] (line 1)"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[[webhooks]]\nname = \"x\"\n")), "unknown table [[webhooks]] (line 5)"));
  EXPECT_TRUE(
      Has(error_of(load("listen = \"0.0.0.0:1\"\n" + hook())), "unknown key \"listen\" at the top level (line 1)"));
}

TEST(Config, RefusesWrongTypesNamingTheKeyAndTheExpectedType) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[server]\ntls = \"yes\"\n", "[server] tls (line 2) must be a boolean (true or false, unquoted), not a string"},
      {"[server]\nthreads = \"4\"\n", "[server] threads (line 2) must be an integer, not a string"},
      {"[server]\nthreads = 4.0\n", "[server] threads (line 2) must be an integer, not a floating-point number"},
      {"[server]\nlisten = 8443\n", "[server] listen (line 2) must be a string, not an integer"},
      {"[server]\ntls_cert = [\"a\"]\n", "[server] tls_cert (line 2) must be a string, not an array"},
      {"[storage]\nbusy_timeout_ms = 1979-05-27\n",
       "[storage] busy_timeout_ms (line 2) must be an integer, not a date"},
      {"[log]\naccess_log = 1\n", "[log] access_log (line 2) must be a boolean"},
      {"server = 1\n", "server (line 1) must be a table"},
      {"[webhook]\nname = \"main\"\n", "must be an array of tables: write [[webhook]] with two brackets"},
      {"webhook = [1]\n", "must be an array of tables"},
  };
  for (const auto& [toml, expected] : cases) {
    const bool has_hook = toml.find("webhook") != std::string::npos;
    EXPECT_TRUE(Has(error_of(load(toml + (has_hook ? "" : hook()))), expected)) << toml;
  }
  EXPECT_TRUE(
      Has(error_of(load(hook() + "verify = \"no\"\n")), "[[webhook]] \"main\" verify (line 5) must be a boolean"));
  EXPECT_TRUE(Has(error_of(load("[[webhook]]\nname = 7\n")), "[[webhook]] #1 (line 1) name (line 2) must be a string"));
  EXPECT_TRUE(Has(error_of(load(hook() + "previous_secrets = \"x\"\n")),
                  "previous_secrets (line 5) must be an array of strings, not a string"));
}

TEST(Config, RefusesOutOfRangeIntegersNamingTheRange) {
  struct Case {
    std::string table, key;
    long long bad, good;
    std::string range;
  };
  const std::vector<Case> cases = {
      {"server", "threads", 257, 256, "0..256"},
      {"server", "max_connections", 0, 1'000'000, "1..1000000"},
      {"server", "max_connections", 1'000'001, 1, "1..1000000"},
      {"server", "max_body_bytes", 1023, 67'108'864, "1024..67108864"},
      {"server", "max_body_bytes", 67'108'865, 1024, "1024..67108864"},
      {"server", "max_header_bytes", 1'048'577, 1'048'576, "1024..1048576"},
      {"server", "max_msg_bytes", 0, 65'536, "1..65536"},
      {"server", "handshake_timeout_ms", 99, 100, "100..3600000"},
      {"server", "header_timeout_ms", 3'600'001, 3'600'000, "100..3600000"},
      {"server", "body_timeout_ms", -1, 100, "100..3600000"},
      {"server", "idle_timeout_ms", 0, 100, "100..3600000"},
      {"server", "write_timeout_ms", 99, 100, "100..3600000"},
      {"server", "shutdown_timeout_ms", 99, 100, "100..3600000"},
      {"server", "verify_rate_per_minute", 100'001, 100'000, "1..100000"},
      {"server", "verify_rate_per_minute_per_source", 0, 1, "1..100000"},
      {"storage", "busy_timeout_ms", 600'001, 0, "0..600000"},
      {"storage", "queue_capacity", 0, 1'000'000, "1..1000000"},
      {"storage", "max_batch", 10'001, 10'000, "1..10000"},
  };
  for (const Case& c : cases) {
    const std::string prefix = "[" + c.table + "]\n" + c.key + " = ";
    EXPECT_EQ(error_of(load(prefix + std::to_string(c.bad) + "\n" + hook())),
              "config: [" + c.table + "] " + c.key + " (line 2) is " + std::to_string(c.bad) +
                  "; the allowed range is " + c.range);
    auto ok = load(prefix + std::to_string(c.good) + "\n" + hook());
    EXPECT_TRUE(ok.ok()) << c.key << " = " << c.good << ": " << ok.error().message;
  }
}

TEST(Config, RefusesUnknownSynchronousModesAndLogLevels) {
  EXPECT_TRUE(Has(error_of(load("[storage]\nsynchronous = \"off\"\n" + hook())),
                  "[storage] synchronous (line 2) is \"off\": use \"full\" or \"normal\""));
  EXPECT_TRUE(Has(error_of(load("[log]\nlevel = \"verbose\"\n" + hook())),
                  "[log] level (line 2) is \"verbose\": use trace, debug, info, warn, error, critical or off"));
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    auto config = load("[log]\nlevel = \"" + std::string(level) + "\"\n" + hook());
    ASSERT_TRUE(config.ok()) << level;
    EXPECT_EQ(config->log.level, level);
  }
}

TEST(Config, RefusesEmptyPaths) {
  EXPECT_TRUE(
      Has(error_of(load("[server]\ntls_cert = \"\"\n" + hook())), "[server] tls_cert (line 2) must not be empty"));
  EXPECT_TRUE(Has(error_of(load("[storage]\npath = \"\"\n" + hook())), "[storage] path (line 2) must not be empty"));
}

TEST(Config, ReportsTomlSyntaxErrorsWithTheirLine) {
  const std::string message = error_of(load("[server]\nthreads = = 4\n" + hook()));
  EXPECT_TRUE(Has(message, "config: TOML syntax error at line 2, column"));
}

TEST(Config, ReturnsAnErrorForAnyInputInsteadOfThrowing) {
  for (const std::string& text : {std::string("\xff\xfe\x00garbage", 10), std::string("[server"), std::string("=")}) {
    EXPECT_FALSE(load(text).ok());
  }
}

TEST(Config, ReportsAMissingConfigFile) {
  TempDir dir;
  const std::string message = error_of(load_config(dir.path() / "absent.toml", {}));
  EXPECT_TRUE(Has(message, "cannot read " + (dir.path() / "absent.toml").string()));
}

// ------------------------------------------------------------------ webhooks

TEST(Config, RequiresAtLeastOneWebhookAndSaysHowToAddOne) {
  for (const std::string& toml :
       {std::string(""), std::string("[server]\ntls = true\n"), std::string("webhook = []\n")}) {
    const std::string message = error_of(load(toml));
    EXPECT_TRUE(Has(message, "config: no [[webhook]] is configured")) << toml;
    EXPECT_TRUE(Has(message, "[[webhook]]\n  name = \"main\"")) << toml;
  }
}

TEST(Config, RefusesDuplicateWebhookNames) {
  EXPECT_TRUE(Has(error_of(load(hook("main", "/a") + hook("main", "/b"))),
                  "[[webhook]] \"main\" name (line 6): another [[webhook]] is already named \"main\""));
}

TEST(Config, RefusesDuplicateWebhookPaths) {
  EXPECT_TRUE(Has(error_of(load(hook("a", "/webhook") + hook("b", "/webhook"))),
                  "[[webhook]] \"b\" path (line 7) is \"/webhook\", already the path of [[webhook]] \"a\""));
}

TEST(Config, RefusesBadOrMissingWebhookNames) {
  for (const std::string& name : {std::string(""), std::string("ma in"), std::string("main!"), std::string(65, 'a'),
                                  std::string("caf\xc3\xa9")}) {
    EXPECT_TRUE(Has(error_of(load(hook(name))), "a name is 1 to 64 letters, digits, '_' or '-'")) << name;
  }
  EXPECT_TRUE(load(hook(std::string(64, 'a'))).ok());
  EXPECT_TRUE(load(hook("Main_hook-2")).ok());
  EXPECT_TRUE(Has(error_of(load("[[webhook]]\npath = \"/webhook\"\nsecret = \"" + std::string(kSecret) + "\"\n")),
                  "[[webhook]] #1 (line 1) has no name"));
}

TEST(Config, RefusesBadOrMissingWebhookPaths) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"webhook", "it must start with '/'"},
      {"", "it must start with '/'"},
      {"/web hook", "printable ASCII, without spaces"},
      {"/webhook?x=1", "without spaces, '?' or '#'"},
      {"/webhook#x", "without spaces, '?' or '#'"},
      {"/caf\xc3\xa9", "printable ASCII"},
      {"/\\t", "printable ASCII"},
      {"/" + std::string(512, 'a'), "longer than 512 bytes"},
  };
  for (const auto& [path, expected] : cases) {
    const std::string message = error_of(load(hook("main", path)));
    EXPECT_TRUE(Has(message, "[[webhook]] \"main\" path (line 3) is \"")) << path;
    EXPECT_TRUE(Has(message, expected)) << path;
  }
  EXPECT_TRUE(load(hook("main", "/" + std::string(511, 'a'))).ok());
  EXPECT_TRUE(Has(error_of(load("[[webhook]]\nname = \"main\"\nsecret = \"" + std::string(kSecret) + "\"\n")),
                  "[[webhook]] \"main\" has no path"));
}

// ------------------------------------------------------------------- secrets

TEST(ConfigSecret, RefusesAWebhookWithoutASecret) {
  EXPECT_EQ(error_of(load("[[webhook]]\nname = \"main\"\npath = \"/webhook\"\n")),
            "config: [[webhook]] \"main\" has no secret: set secret_file, secret or secret_env");
}

TEST(ConfigSecret, RefusesTwoSecretSources) {
  const std::string message = error_of(
      load(hook("main", "/webhook", "secret = \"" + std::string(kSecret) + "\"\nsecret_file = \"/run/secret\"")));
  EXPECT_TRUE(Has(message, "[[webhook]] \"main\" has more than one secret source"));
  EXPECT_TRUE(Has(message, "secret (line 4)"));
  EXPECT_TRUE(Has(message, "secret_file (line 5)"));
}

TEST(ConfigSecret, RefusesAShortSecret) {
  EXPECT_EQ(error_of(load(hook("main", "/webhook", "secret = \"" + std::string(kShortSecret) + "\""))),
            "config: [[webhook]] \"main\": the secret is 11 bytes; at least 16 are required (drchrono suggests 40 hex "
            "characters)");
  EXPECT_TRUE(Has(error_of(load(hook("main", "/webhook", "secret = \"\""))), "the secret is 0 bytes"));
  EXPECT_TRUE(load(hook("main", "/webhook", "secret = \"0123456789abcdef\"")).ok());
}

TEST(ConfigSecret, RefusesShortPreviousSecrets) {
  EXPECT_TRUE(Has(error_of(load(hook() + "previous_secrets = [\"" + std::string(kOtherSecret) + "\", \"" +
                                std::string(kShortSecret) + "\"]\n")),
                  "[[webhook]] \"main\" previous_secrets[1] (line 5) is 11 bytes; at least 16 are required"));
  TempDir dir;
  dir.write("old", std::string(kShortSecret) + "\n");
  const std::string message =
      error_of(load_config_text(hook() + "previous_secret_files = [\"old\"]\n", dir.path() / "chronohook.toml", {}));
  EXPECT_TRUE(Has(message, "previous_secret_files[0] (line 5): the secret in the file it names is 11 bytes"));
  EXPECT_TRUE(Has(error_of(load(hook() + "previous_secrets = [\"" + std::string(kOtherSecret) + "\", 5]\n")),
                  "previous_secrets[1] (line 5) must be a string, not an integer"));
}

TEST(ConfigSecret, ReadsPreviousSecretFiles) {
  TempDir dir;
  dir.write("old", std::string(kOtherSecret) + "\n");
  auto config = load_config_text(hook() + "previous_secret_files = [\"old\"]\n", dir.path() / "chronohook.toml", {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->webhooks.at(0).previous_secrets.size(), 1u);
  EXPECT_EQ(config->webhooks[0].previous_secrets[0].expose(), kOtherSecret);
}

TEST(ConfigSecret, ReportsAMissingSecretFileByItsKeyNotItsPath) {
  TempDir dir;
  const std::string message = error_of(
      load_config_text(hook("main", "/webhook", "secret_file = \"nope\""), dir.path() / "chronohook.toml", {}));
  EXPECT_TRUE(Has(message,
                  "[[webhook]] \"main\" secret_file (line 4) must be a path to a readable file; the file it names "
                  "cannot be read: No such file or directory (a relative name is looked up in the config file's "
                  "directory \"" +
                      dir.path().string() + "\")"));
  EXPECT_FALSE(Has(message, "nope"));
}

TEST(ConfigSecret, RefusesADirectoryAsSecretFile) {
  TempDir dir;
  fs::create_directories(dir.path() / "secrets");
  EXPECT_TRUE(Has(error_of(load_config_text(hook("main", "/webhook", "secret_file = \"secrets\""),
                                            dir.path() / "chronohook.toml", {})),
                  "the file it names is a directory"));
}

TEST(ConfigSecret, StripsTrailingNewlinesAndKeepsInnerSpaces) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string(kSecret) + "\n", std::string(kSecret)},
      {std::string(kSecret) + "\r\n", std::string(kSecret)},
      {std::string(kSecret) + "\n\n\r\n\n", std::string(kSecret)},
      {std::string(kSecret), std::string(kSecret)},
      {"Zq7Xw9 Kp3Vt6Yr2M\tb8Nc\n", "Zq7Xw9 Kp3Vt6Yr2M\tb8Nc"},
  };
  for (const auto& [content, expected] : cases) {
    dir.write("secret", content);
    auto config =
        load_config_text(hook("main", "/webhook", "secret_file = \"secret\""), dir.path() / "chronohook.toml", {});
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->webhooks.at(0).secret.expose(), expected);
  }
}

TEST(ConfigSecret, LooksInCredentialsDirectoryFirstForRelativeSecretFiles) {
  TempDir config_dir;
  TempDir credentials;
  const fs::path config_file = config_dir.path() / "chronohook.toml";
  const std::string toml = hook("main", "/webhook", "secret_file = \"drchrono\"");
  const ConfigEnvironment env = env_of({{"CREDENTIALS_DIRECTORY", credentials.path().string()}});

  config_dir.write("drchrono", kOtherSecret);
  auto beside_config = load_config_text(toml, config_file, env);
  ASSERT_TRUE(beside_config.ok()) << beside_config.error().message;
  EXPECT_EQ(beside_config->webhooks.at(0).secret.expose(), kOtherSecret);

  credentials.write("drchrono", kSecret);
  auto from_credentials = load_config_text(toml, config_file, env);
  ASSERT_TRUE(from_credentials.ok()) << from_credentials.error().message;
  EXPECT_EQ(from_credentials->webhooks.at(0).secret.expose(), kSecret);

  // Without CREDENTIALS_DIRECTORY in the environment, the config's directory.
  auto without = load_config_text(toml, config_file, {});
  ASSERT_TRUE(without.ok()) << without.error().message;
  EXPECT_EQ(without->webhooks.at(0).secret.expose(), kOtherSecret);

  // An absolute path means that file only.
  const std::string absolute = "secret_file = \"" + (config_dir.path() / "drchrono").string() + "\"";
  auto pinned = load_config_text(hook("main", "/webhook", absolute), config_file, env);
  ASSERT_TRUE(pinned.ok()) << pinned.error().message;
  EXPECT_EQ(pinned->webhooks.at(0).secret.expose(), kOtherSecret);
}

TEST(ConfigSecret, SaysWhereItLookedWhenACredentialIsMissing) {
  TempDir config_dir;
  TempDir credentials;
  const std::string message = error_of(
      load_config_text(hook("main", "/webhook", "secret_file = \"drchrono\""), config_dir.path() / "chronohook.toml",
                       env_of({{"CREDENTIALS_DIRECTORY", credentials.path().string()}})));
  // The directories, not the name: a secret_file's value is never shown.
  EXPECT_TRUE(Has(message, "looked up in $CREDENTIALS_DIRECTORY \"" + credentials.path().string() +
                               "\", then in the config file's directory \"" + config_dir.path().string() + "\""));
  EXPECT_FALSE(Has(message, "drchrono"));
}

TEST(ConfigSecret, ReadsSecretEnvFromTheGivenEnvironmentThenTheProcess) {
  const std::string toml = hook("main", "/webhook", "secret_env = \"CHRONOHOOK_TEST_DRCHRONO_SECRET\"");
  auto given = load(toml, env_of({{"CHRONOHOOK_TEST_DRCHRONO_SECRET", std::string(kSecret)}}));
  ASSERT_TRUE(given.ok()) << given.error().message;
  EXPECT_EQ(given->webhooks.at(0).secret.expose(), kSecret);

  const std::string name = "CHRONOHOOK_CONFIG_TEST_SECRET_" + std::to_string(::getpid());
  ::setenv(name.c_str(), std::string(kOtherSecret).c_str(), 1);
  auto from_process = load(hook("main", "/webhook", "secret_env = \"" + name + "\""));
  ::unsetenv(name.c_str());
  ASSERT_TRUE(from_process.ok()) << from_process.error().message;
  EXPECT_EQ(from_process->webhooks.at(0).secret.expose(), kOtherSecret);
}

TEST(ConfigSecret, SaysAVariableSecretEnvNamesIsUnsetOrEmptyWithoutNamingIt) {
  const std::string toml = hook("main", "/webhook", "secret_env = \"CHRONOHOOK_TEST_UNSET_SECRET\"");
  // By the key that names it: the name is secret_env's value, never shown.
  EXPECT_EQ(error_of(load(toml)),
            "config: [[webhook]] \"main\" secret_env (line 4): the environment variable it names is not set");
  EXPECT_EQ(error_of(load(toml, env_of({{"CHRONOHOOK_TEST_UNSET_SECRET", ""}}))),
            "config: [[webhook]] \"main\" secret_env (line 4): the environment variable it names is empty");
  EXPECT_TRUE(Has(error_of(load(toml, env_of({{"CHRONOHOOK_TEST_UNSET_SECRET", std::string(kShortSecret)}}))),
                  "the secret is 11 bytes"));
}

TEST(ConfigSecret, WarnsAboutASecretFileOthersCanRead) {
  TempDir dir;
  const fs::path file = dir.write("secret", kSecret, 0640);
  auto config = load_config_text(hook("main", "/webhook", "secret_file = \"secret\""), dir.path() / "c.toml", {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  // This process created the file, so it owns it and can fix it.
  EXPECT_EQ(config->warnings[0],
            "[[webhook]] \"main\" secret_file (line 4): the secret file is readable by other users (mode 0640); chmod "
            "600 it");

  ::chmod(file.c_str(), 0600);
  auto quiet = load_config_text(hook("main", "/webhook", "secret_file = \"secret\""), dir.path() / "c.toml", {});
  ASSERT_TRUE(quiet.ok()) << quiet.error().message;
  EXPECT_TRUE(quiet->warnings.empty());
}

TEST(ConfigSecret, WarnsAboutAnInlineSecretInAFileOthersCanRead) {
  TempDir dir;
  const fs::path file = dir.write("chronohook.toml", hook(), 0644);
  auto config = load_config(file, {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_TRUE(Has(config->warnings[0], "holds a secret and is readable by other users"));
  EXPECT_FALSE(leaks(config->warnings[0], kSecret));
}

TEST(Config, WarnsThatPlainHttpNeedsATlsTerminatingProxy) {
  auto config = load("[server]\ntls = false\n" + hook());
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_EQ(config->warnings[0],
            "plain HTTP: [server] tls = false; hooks carry the secret in clear, so only run this behind a "
            "TLS-terminating proxy");
}

TEST(ConfigSecret, NeverPutsASecretInAMessage) {
  const std::string s(kSecret);
  const std::vector<std::string> files = {
      // Syntax errors on a secret's line: toml++ quotes what it choked on.
      hook("main", "/webhook", "secret = " + s),
      hook("main", "/webhook", "secret = fals_" + s),
      hook("main", "/webhook", "secret = tru" + s),
      hook("main", "/webhook", "secret = 1234" + s),
      hook("main", "/webhook", "secret = 2024-01-01" + s),
      hook("main", "/webhook", "secret = inf" + s),
      hook("main", "/webhook", "secret = \"" + s),
      hook("main", "/webhook", "secret = '" + s),
      hook("main", "/webhook", "secret = \"" + s + "\" " + s),
      hook("main", "/webhook", "secret = \"\\q" + s + "\""),
      hook("main", "/webhook", s),
      hook() + "previous_secrets = [" + s + "]\n",
      hook() + "previous_secrets = [\n  \"" + std::string(kOtherSecret) + "\"\n  " + s + "\n]\n",
      // Wrong types.
      hook("main", "/webhook", "secret = [\"" + s + "\"]"),
      hook("main", "/webhook", "secret = { value = \"" + s + "\" }"),
      hook() + "previous_secrets = \"" + s + "\"\n",
      hook() + "previous_secrets = [[\"" + s + "\"]]\n",
      // Other errors while a secret is set.
      hook("main", "/webhook", "secret = \"" + std::string(kShortSecret) + "\""),
      hook() + "previous_secrets = [\"" + std::string(kShortSecret) + "\"]\n",
      hook("main", "/webhook", "secret = \"" + s + "\"\nsecret_env = \"X\""),
      hook("main", "bad path", "secret = \"" + s + "\""),
      hook() + "secert = \"" + std::string(kOtherSecret) + "\"\n",
      "[server]\nthreads = 1000\n" + hook(),
  };
  for (const std::string& toml : files) {
    auto result = load(toml);
    ASSERT_FALSE(result.ok()) << toml;
    error_of(result);  // checks for leaks
  }
}

// ----------------------------------------------------------- relative paths

TEST(Config, ResolvesRelativePathsAgainstTheConfigDirectory) {
  auto config = load_config_text(R"([server]
tls_cert = "tls/fullchain.pem"
tls_key = "../keys/privkey.pem"
[storage]
path = "./data/events.db"
)" + hook(),
                                 "/srv/chronohook/etc/chronohook.toml", {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.tls_cert, fs::path("/srv/chronohook/etc/tls/fullchain.pem"));
  EXPECT_EQ(config->server.tls_key, fs::path("/srv/chronohook/keys/privkey.pem"));
  EXPECT_EQ(config->storage.path, fs::path("/srv/chronohook/etc/data/events.db"));
}

TEST(Config, KeepsAbsolutePaths) {
  auto config = load("[server]\ntls_cert = \"/a/cert.pem\"\n[storage]\npath = \"/b/events.db\"\n" + hook());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.tls_cert, fs::path("/a/cert.pem"));
  EXPECT_EQ(config->storage.path, fs::path("/b/events.db"));
}

TEST(Config, AnchorsARelativeConfigFileAtTheWorkingDirectory) {
  auto config = load_config_text("[storage]\npath = \"events.db\"\n" + hook(), "chronohook.toml", {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->storage.path, fs::current_path() / "events.db");
  EXPECT_EQ(config->source, fs::path("chronohook.toml"));
}

// ----------------------------------------------------- environment overrides

TEST(ConfigEnv, OverridesServerStorageAndLogKeysByType) {
  auto config = load("[server]\nlisten = \"0.0.0.0:1\"\n" + hook(), env_of({
                                                                        {"CHRONOHOOK_SERVER_LISTEN", "[::1]:9443"},
                                                                        {"CHRONOHOOK_SERVER_MAX_BODY_BYTES", "4096"},
                                                                        {"CHRONOHOOK_SERVER_TLS", "yes"},
                                                                        {"CHRONOHOOK_SERVER_IDLE_TIMEOUT_MS", "250"},
                                                                        {"CHRONOHOOK_STORAGE_PATH", "db/events.db"},
                                                                        {"CHRONOHOOK_STORAGE_SYNCHRONOUS", "normal"},
                                                                        {"CHRONOHOOK_LOG_LEVEL", "debug"},
                                                                        {"CHRONOHOOK_LOG_ACCESS_LOG", "0"},
                                                                    }));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.listen.to_string(), "[::1]:9443");
  EXPECT_EQ(config->server.max_body_bytes, 4096u);
  EXPECT_TRUE(config->server.tls);
  EXPECT_EQ(config->server.idle_timeout.count(), 250);
  EXPECT_EQ(config->storage.path, fs::path("/etc/chronohook/db/events.db"));
  EXPECT_EQ(config->storage.synchronous, Synchronous::kNormal);
  EXPECT_EQ(config->log.level, "debug");
  EXPECT_FALSE(config->log.access_log);
}

TEST(ConfigEnv, ParsesBooleansInEveryAcceptedSpelling) {
  for (const auto& [text, expected] : std::vector<std::pair<std::string, bool>>{
           {"true", true}, {"1", true}, {"yes", true}, {"TRUE", true}, {"false", false}, {"0", false}, {"no", false}}) {
    auto config = load(hook(), env_of({{"CHRONOHOOK_SERVER_TLS", text}}));
    ASSERT_TRUE(config.ok()) << text;
    EXPECT_EQ(config->server.tls, expected) << text;
  }
}

TEST(ConfigEnv, RefusesValuesThatAreNotOfTheKeysType) {
  EXPECT_EQ(error_of(load(hook(), env_of({{"CHRONOHOOK_SERVER_THREADS", "four"}}))),
            "config: [server] threads (from CHRONOHOOK_SERVER_THREADS) must be a decimal integer from 0 to 256, not "
            "\"four\"");
  for (const char* bad : {"", "4 ", "0x10", "+4", "1e3", "99999999999999999999"}) {
    EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_SERVER_THREADS", bad}}))), "must be a decimal integer"))
        << bad;
  }
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_SERVER_TLS", "maybe"}}))),
                  "[server] tls (from CHRONOHOOK_SERVER_TLS) must be true or false (or 1/0, yes/no), not \"maybe\""));
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_VERIFY", "on"}}))),
                  "[[webhook]] \"main\" verify (from CHRONOHOOK_WEBHOOK_MAIN_VERIFY) must be true or false"));
}

TEST(ConfigEnv, RunsTheSameRangeChecksOnOverrides) {
  EXPECT_EQ(error_of(load(hook(), env_of({{"CHRONOHOOK_SERVER_THREADS", "300"}}))),
            "config: [server] threads (from CHRONOHOOK_SERVER_THREADS) is 300; the allowed range is 0..256");
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_SERVER_LISTEN", "8443"}}))),
                  "[server] listen (from CHRONOHOOK_SERVER_LISTEN) is \"8443\""));
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_PATH", "nope"}}))),
                  "[[webhook]] \"main\" path (from CHRONOHOOK_WEBHOOK_MAIN_PATH) is \"nope\""));
}

TEST(ConfigEnv, OverridesWinOverAWrongValueInTheFile) {
  auto config = load("[server]\nthreads = \"many\"\n" + hook(), env_of({{"CHRONOHOOK_SERVER_THREADS", "2"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.threads, 2u);
}

TEST(ConfigEnv, OverridesAWebhookByItsUpperCasedName) {
  auto config = load(hook("main") + hook("billing-app", "/billing"),
                     env_of({{"CHRONOHOOK_WEBHOOK_BILLING_APP_PATH", "/hooks/billing"},
                             {"CHRONOHOOK_WEBHOOK_BILLING_APP_VERIFY", "false"},
                             {"CHRONOHOOK_WEBHOOK_MAIN_SECRET", std::string(kOtherSecret)}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->webhooks.at(0).path, "/webhook");
  EXPECT_EQ(config->webhooks[0].secret.expose(), kOtherSecret);
  EXPECT_EQ(config->webhooks[1].path, "/hooks/billing");
  EXPECT_FALSE(config->webhooks[1].verify);
  EXPECT_EQ(config->webhooks[1].secret.expose(), kSecret);
}

TEST(ConfigEnv, ReplacesTheFilesSecretSourceRatherThanAddingOne) {
  TempDir dir;
  dir.write("env-secret", std::string(kOtherSecret) + "\n");
  const fs::path config_file = dir.path() / "chronohook.toml";
  const std::string toml = hook("main", "/webhook", "secret_file = \"absent\"");

  auto by_file = load_config_text(toml, config_file, env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE", "env-secret"}}));
  ASSERT_TRUE(by_file.ok()) << by_file.error().message;
  EXPECT_EQ(by_file->webhooks.at(0).secret.expose(), kOtherSecret);

  auto by_env = load_config_text(toml, config_file,
                                 env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET_ENV", "CHRONOHOOK_MAIN_KEY"},
                                         {"CHRONOHOOK_MAIN_KEY", std::string(kSecret)}}));
  ASSERT_TRUE(by_env.ok()) << by_env.error().message;
  EXPECT_EQ(by_env->webhooks.at(0).secret.expose(), kSecret);

  // Two sources from the environment are still two sources.
  const std::string message =
      error_of(load_config_text(toml, config_file,
                                env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET", std::string(kSecret)},
                                        {"CHRONOHOOK_WEBHOOK_MAIN_SECRET_FILE", "env-secret"}})));
  EXPECT_TRUE(Has(message, "has more than one secret source"));
  EXPECT_TRUE(Has(message, "from CHRONOHOOK_WEBHOOK_MAIN_SECRET"));
}

TEST(ConfigEnv, NeverEchoesASecretGivenThroughTheEnvironment) {
  const std::string message =
      error_of(load(hook(), env_of({{"CHRONOHOOK_WEBHOOK_MAIN_SECRET", std::string(kShortSecret)}})));
  EXPECT_EQ(message,
            "config: [[webhook]] \"main\": the secret is 11 bytes; at least 16 are required (drchrono suggests 40 hex "
            "characters)");
  // Unmatched variables are named, their values never shown.
  EXPECT_FALSE(
      leaks(error_of(load(hook(), env_of({{"CHRONOHOOK_WEBHOOK_MIAN_SECRET", std::string(kSecret)}}))), kSecret));
}

TEST(ConfigEnv, RefusesAVariableThatMatchesNoKey) {
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_SERVER_LISEN", "0.0.0.0:1"}}))),
                  "config: environment variable CHRONOHOOK_SERVER_LISEN matches no key of [server]"));
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_STORAGE_DB", "x"}}))),
                  "CHRONOHOOK_STORAGE_DB matches no key of [storage]"));
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_LOG_level", "x"}}))),
                  "CHRONOHOOK_LOG_level matches no key of [log]"));
  // Arrays cannot be overridden, and a webhook's name is how it is addressed.
  for (const char* variable : {"CHRONOHOOK_WEBHOOK_MIAN_PATH", "CHRONOHOOK_WEBHOOK_MAIN_NAME",
                               "CHRONOHOOK_WEBHOOK_MAIN_PREVIOUS_SECRETS", "CHRONOHOOK_WEBHOOK_MAIN"}) {
    const std::string message = error_of(load(hook(), env_of({{variable, "/x"}})));
    EXPECT_TRUE(Has(message, std::string(variable) + " matches no [[webhook]] and key")) << variable;
    EXPECT_TRUE(Has(message, "NAME one of MAIN")) << variable;
  }
}

TEST(ConfigEnv, AcceptsTheConfigPathVariableButNoOtherUnknownOne) {
  auto config = load(hook(), env_of({{"CHRONOHOOK_CONFIG", "/elsewhere.toml"}}));
  EXPECT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_X", "1"}}))),
                  "environment variable CHRONOHOOK_X is not a chronohook setting"));
}

TEST(ConfigEnv, LetsSecretEnvNameAVariableUnderAnOverridePrefix) {
  auto config = load(hook("main", "/webhook", "secret_env = \"CHRONOHOOK_WEBHOOK_MAIN_KEY\""),
                     env_of({{"CHRONOHOOK_WEBHOOK_MAIN_KEY", std::string(kSecret)}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->webhooks.at(0).secret.expose(), kSecret);
}

TEST(ConfigEnv, RefusesAVariableThatMatchesTwoWebhooks) {
  EXPECT_TRUE(
      Has(error_of(load(hook("a-b", "/1") + hook("a_b", "/2"), env_of({{"CHRONOHOOK_WEBHOOK_A_B_PATH", "/3"}}))),
          "CHRONOHOOK_WEBHOOK_A_B_PATH matches more than one [[webhook]]"));
}

TEST(ConfigEnv, CollectsChronohookVariablesAndCredentialsDirectoryFromTheProcess) {
  const std::string own = "CHRONOHOOK_CONFIG_TEST_" + std::to_string(::getpid());
  const std::string other = "NOT_CHRONOHOOK_CONFIG_TEST_" + std::to_string(::getpid());
  const char* saved = std::getenv("CREDENTIALS_DIRECTORY");
  const std::optional<std::string> saved_credentials = saved ? std::optional<std::string>(saved) : std::nullopt;
  ::setenv(own.c_str(), "a=b", 1);
  ::setenv(other.c_str(), "x", 1);
  ::setenv("CREDENTIALS_DIRECTORY", "/run/credentials/chronohook.service", 1);

  const ConfigEnvironment env = ConfigEnvironment::from_process();

  ::unsetenv(own.c_str());
  ::unsetenv(other.c_str());
  if (saved_credentials) {
    ::setenv("CREDENTIALS_DIRECTORY", saved_credentials->c_str(), 1);
  } else {
    ::unsetenv("CREDENTIALS_DIRECTORY");
  }
  ASSERT_TRUE(env.variables.contains(own));
  EXPECT_EQ(env.variables.at(own), "a=b");
  EXPECT_FALSE(env.variables.contains(other));
  EXPECT_EQ(env.variables.at("CREDENTIALS_DIRECTORY"), "/run/credentials/chronohook.service");
  for (const auto& [name, value] : env.variables) {
    EXPECT_TRUE(name.starts_with("CHRONOHOOK_") || name == "CREDENTIALS_DIRECTORY") << name;
  }
}

}  // namespace
}  // namespace chronohook::config_test

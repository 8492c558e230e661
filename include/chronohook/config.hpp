// The daemon's configuration: what the TOML file and CHRONOHOOK_* environment
// variables say, validated and with every secret loaded. Key names are a
// public contract; config/chronohook.toml documents each one with its default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chronohook/result.hpp"
#include "chronohook/secret.hpp"

namespace chronohook {

struct ListenAddress {
  std::string host;        // "0.0.0.0", "::", "127.0.0.1", "localhost"; no brackets
  std::uint16_t port = 0;  // 0 asks the kernel for a free port (tests)

  // "host:port", with IPv6 hosts in brackets.
  std::string to_string() const;
};

struct ServerConfig {
  ListenAddress listen{"0.0.0.0", 8443};
  bool tls = true;
  std::filesystem::path tls_cert = "/etc/chronohook/tls/fullchain.pem";
  std::filesystem::path tls_key = "/etc/chronohook/tls/privkey.pem";
  unsigned threads = 0;  // 0: one per CPU core
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_source = 64;  // 0: no cap; IPv6 counted by /64
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_msg_bytes = 1024;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  unsigned verify_rate_per_minute = 60;             // GET challenges a webhook answers
  unsigned verify_rate_per_minute_per_source = 10;  // ... of which one source address may ask
};

enum class Synchronous { kFull, kNormal };

struct StorageConfig {
  std::filesystem::path path = "/var/lib/chronohook/events.db";
  Synchronous synchronous = Synchronous::kFull;
  std::chrono::milliseconds busy_timeout{5'000};
  std::size_t queue_capacity = 4096;  // hooks waiting for the writer
  std::size_t max_batch = 256;        // hooks in one group commit
  // Mode of the database and its -wal/-shm: 0600, or 0640 for a consumer
  // account in the file's group. Never world-readable, never group-writable.
  unsigned file_mode = 0600;
};

// How lines look on stderr. Under systemd (JOURNAL_STREAM names stderr) they
// go to the journal as entries instead, whatever this says.
enum class LogFormat { kText, kJson };

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  bool access_log = true;      // one line per request
  LogFormat format = LogFormat::kText;
};

struct WebhookConfig {
  std::string name;
  std::string path;
  Secret secret;                         // answers verification, authenticates POSTs
  std::vector<Secret> previous_secrets;  // still authenticate POSTs (rotation)
  bool verify = true;                    // answer GET ?msg= challenges
  // Which key gave the current secret and where it was set, for
  // check-config: "secret_file (line 9), found in $CREDENTIALS_DIRECTORY".
  // Names keys and variables only, never a value.
  std::string secret_source;

  // The current secret followed by the previous ones.
  std::vector<Secret> accepted_secrets() const;
};

// [admin]: the second listener, for consumers (pull API) and operators.
// Off unless the config has an [admin] table.
struct AdminConfig {
  bool enabled = false;
  ListenAddress listen{"127.0.0.1", 9443};
  // Both set: TLS. Neither: plain HTTP, allowed only on a loopback address.
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  std::size_t readers = 4;  // read-only database connections; all busy: 503
  // GET /metrics requires "Authorization: Bearer <this>" when set
  // (metrics_token_file); open otherwise. /healthz and /readyz never do.
  std::optional<Secret> metrics_token;
  std::string metrics_token_source;  // which key gave it, for check-config; never a value
};

// [[consumer]]: a program that reads events through the pull API.
struct ConsumerConfig {
  std::string name;
  Secret token;              // at least 16 bytes; compared in constant time; never logged
  std::string token_source;  // which key gave it, for check-config; never a value
};

// [retention]: optional; with no table every event is kept. An enabled
// table sets max_age, max_events or both (docs/retention.md).
struct RetentionConfig {
  bool enabled = false;
  std::optional<std::chrono::seconds> max_age;  // "30d"
  std::optional<std::uint64_t> max_events;
  // Never delete an event a configured consumer has not acknowledged.
  bool keep_unacknowledged = true;
  std::chrono::seconds interval{3600};  // between the daemon's passes ("1h")
  std::size_t batch_size = 1000;        // rows deleted per writer task
};

// A setting a CHRONOHOOK_* variable gave, for check-config to show.
struct EnvSetting {
  std::string variable;  // CHRONOHOOK_SERVER_LISTEN
  // What it replaced in the file, or empty: `the file's "127.0.0.1:8443"`;
  // for a secret-bearing key only the key's name (`the file's secret_file`).
  std::string replaced;
};

struct Config {
  std::filesystem::path source;  // the file it was loaded from
  ServerConfig server;
  StorageConfig storage;
  LogConfig log;
  std::vector<WebhookConfig> webhooks;
  AdminConfig admin;
  std::vector<ConsumerConfig> consumers;
  RetentionConfig retention;
  // Things worth a warning at start-up that do not stop it (a secret file
  // others can read, plain HTTP). Never contain a secret.
  std::vector<std::string> warnings;
  // Settings the environment gave, by "server.listen", "storage.path",
  // "log.level", "webhook.<name>.<key>".
  std::map<std::string, EnvSetting> env_settings;
};

// Where a config's outside world is read from; tests substitute their own.
struct ConfigEnvironment {
  // CHRONOHOOK_* in any case (a lower-case one is a typo to report) and
  // CREDENTIALS_DIRECTORY.
  std::map<std::string, std::string> variables;
  static ConfigEnvironment from_process();
};

// Loads, applies environment overrides, resolves relative paths against the
// config file's directory, reads secrets, and validates everything. Every
// error message starts with "config: " and names the key and the fix; none
// contains a secret or the value of a secret-bearing key (secret,
// secret_file, secret_env, previous_secrets, previous_secret_files, or the
// variable a secret_env names), not even a path.
Result<Config> load_config(const std::filesystem::path& file, const ConfigEnvironment& env);

// The same from TOML text; `file` only names the source and anchors relative paths.
Result<Config> load_config_text(std::string_view toml, const std::filesystem::path& file, const ConfigEnvironment& env);

const char* to_string(Synchronous s);

}  // namespace chronohook

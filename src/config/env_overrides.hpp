// Private to src/config: the schema's key lists, CHRONOHOOK_* override
// matching, and Section, which reads one table's keys with the environment's
// values laid over the file's.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"

namespace chronohook::config_detail {

inline constexpr std::array<std::string_view, 16> kServerKeys{"listen",
                                                              "tls",
                                                              "tls_cert",
                                                              "tls_key",
                                                              "threads",
                                                              "max_connections",
                                                              "max_body_bytes",
                                                              "max_header_bytes",
                                                              "max_msg_bytes",
                                                              "handshake_timeout_ms",
                                                              "header_timeout_ms",
                                                              "body_timeout_ms",
                                                              "idle_timeout_ms",
                                                              "write_timeout_ms",
                                                              "shutdown_timeout_ms",
                                                              "verify_rate_per_minute"};
inline constexpr std::array<std::string_view, 5> kStorageKeys{"path", "synchronous", "busy_timeout_ms",
                                                              "queue_capacity", "max_batch"};
inline constexpr std::array<std::string_view, 2> kLogKeys{"level", "access_log"};
inline constexpr std::array<std::string_view, 8> kWebhookKeys{
    "name", "path", "secret", "secret_file", "secret_env", "previous_secrets", "previous_secret_files", "verify"};
// Only scalars can be overridden, and a webhook's name is how it is addressed.
inline constexpr std::array<std::string_view, 5> kWebhookEnvKeys{"path", "secret", "secret_file", "secret_env",
                                                                 "verify"};
inline constexpr std::array<std::string_view, 3> kSecretSourceKeys{"secret", "secret_file", "secret_env"};

// `s` in double quotes with control and non-ASCII bytes escaped, so an echoed
// name or path cannot garble a terminal or a log line.
std::string in_quotes(std::string_view s);

// A webhook name as CHRONOHOOK_WEBHOOK_<NAME>_* spells it: "main-hook" -> "MAIN_HOOK".
std::string env_name_of(std::string_view webhook_name);

struct Override {
  std::string variable;  // CHRONOHOOK_SERVER_LISTEN
  std::string value;
};
using Overrides = std::map<std::string, Override, std::less<>>;  // by key, e.g. "listen"

struct EnvOverrides {
  Overrides server;
  Overrides storage;
  Overrides log;
  std::vector<Overrides> webhooks;  // parallel to the names passed in
};

// Sorts CHRONOHOOK_SERVER_*, _STORAGE_*, _LOG_* and _WEBHOOK_* variables into
// per-table overrides. One that names no key or no webhook is an error, so a
// misspelt override cannot go unnoticed; the exception is a variable some
// webhook's secret_env names, which holds a secret rather than overriding.
Result<EnvOverrides> match_env_overrides(const ConfigEnvironment& env, const std::vector<std::string>& webhook_names,
                                         const std::set<std::string, std::less<>>& secret_env_names);

// "config: unknown key ..." for the first key of `table` not in `known`.
Status check_known_keys(const toml::table& table, std::string_view label, std::span<const std::string_view> known);

// One table of the config: the file's keys with the environment's on top.
// Readers leave the target alone when the key is absent (so defaults stay)
// and record only the first error, so a run of reads is checked once.
class Section {
 public:
  struct Item {
    std::string value;
    std::string where;
  };

  Section(std::string label, const toml::table* table, Overrides overrides);

  const std::string& label() const { return label_; }
  bool ok() const { return !error_.has_value(); }
  Error error() const { return error_.value_or(Error{}); }
  void fail(std::string message);

  bool has(std::string_view key) const;
  bool from_env(std::string_view key) const { return overrides_.contains(key); }
  // "[server] listen (line 3)" or "[server] listen (from CHRONOHOOK_SERVER_LISTEN)".
  std::string where(std::string_view key) const;
  // Makes the file's values of `keys` invisible, for when the environment
  // replaces a group of keys as a whole (a webhook's secret source).
  void ignore_file_keys(std::span<const std::string_view> keys);

  void read(std::string_view key, std::string& out);
  void read(std::string_view key, bool& out);
  void read(std::string_view key, std::int64_t min, std::int64_t max, std::chrono::milliseconds& out);
  template <typename Int>
  void read(std::string_view key, std::int64_t min, std::int64_t max, Int& out) {
    if (auto v = read_integer(key, min, max)) out = static_cast<Int>(*v);
  }
  // A non-empty path; a relative one is taken relative to `base`.
  void read_path(std::string_view key, const std::filesystem::path& base, std::filesystem::path& out);
  // An array of strings from the file (arrays are not overridable).
  std::vector<Item> read_string_array(std::string_view key);

 private:
  const toml::node* file_node(std::string_view key) const;
  std::optional<std::int64_t> read_integer(std::string_view key, std::int64_t min, std::int64_t max);
  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected);

  std::string label_;
  const toml::table* table_;
  Overrides overrides_;
  std::set<std::string, std::less<>> ignored_;
  std::optional<Error> error_;
};

}  // namespace chronohook::config_detail

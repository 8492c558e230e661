// Private to src/config: the schema's key lists and the matching of
// CHRONOHOOK_* environment variables to the keys they override.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"

namespace chronohook::config_detail {

inline constexpr std::array<std::string_view, 18> kServerKeys{"listen",
                                                              "tls",
                                                              "tls_cert",
                                                              "tls_key",
                                                              "threads",
                                                              "max_connections",
                                                              "max_connections_per_source",
                                                              "max_body_bytes",
                                                              "max_header_bytes",
                                                              "max_msg_bytes",
                                                              "handshake_timeout_ms",
                                                              "header_timeout_ms",
                                                              "body_timeout_ms",
                                                              "idle_timeout_ms",
                                                              "write_timeout_ms",
                                                              "shutdown_timeout_ms",
                                                              "verify_rate_per_minute",
                                                              "verify_rate_per_minute_per_source"};
inline constexpr std::array<std::string_view, 6> kStorageKeys{"path",           "synchronous", "busy_timeout_ms",
                                                              "queue_capacity", "max_batch",   "file_mode"};
inline constexpr std::array<std::string_view, 3> kLogKeys{"level", "access_log", "format"};
inline constexpr std::array<std::string_view, 5> kRetentionKeys{"max_age", "max_events", "keep_unacknowledged",
                                                                "interval", "batch_size"};
inline constexpr std::array<std::string_view, 5> kAdminKeys{"listen", "tls_cert", "tls_key", "readers",
                                                            "metrics_token_file"};
// A consumer's token comes from exactly one of these; none is overridable
// (token_env is the environment's way in).
inline constexpr std::array<std::string_view, 4> kConsumerKeys{"name", "token", "token_file", "token_env"};
inline constexpr std::array<std::string_view, 3> kTokenSourceKeys{"token", "token_file", "token_env"};
inline constexpr std::array<std::string_view, 8> kWebhookKeys{
    "name", "path", "secret", "secret_file", "secret_env", "previous_secrets", "previous_secret_files", "verify"};
// Only scalars can be overridden, and a webhook's name is how it is addressed.
inline constexpr std::array<std::string_view, 5> kWebhookEnvKeys{"path", "secret", "secret_file", "secret_env",
                                                                 "verify"};
inline constexpr std::array<std::string_view, 3> kSecretSourceKeys{"secret", "secret_file", "secret_env"};
// Keys whose value is a secret or, typed by mistake, could be one: messages
// and check-config name them but never show their values.
inline constexpr std::array<std::string_view, 5> kSecretBearingKeys{"secret", "secret_file", "secret_env",
                                                                    "previous_secrets", "previous_secret_files"};

// The variable main.cpp reads the config file's path from.
inline constexpr std::string_view kConfigPathVariable = "CHRONOHOOK_CONFIG";

bool is_secret_bearing(std::string_view key);

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
  Overrides retention;
  Overrides admin;
  std::vector<Overrides> webhooks;  // parallel to the names passed in
};

// Variables some webhook's secret_env in the file names, each with where
// that secret_env is ("[[webhook]] \"main\" secret_env (line 9)").
using SecretEnvTargets = std::map<std::string, std::string, std::less<>>;

// Sorts CHRONOHOOK_SERVER_*, _STORAGE_*, _LOG_*, _ADMIN_*, _RETENTION_* and
// _WEBHOOK_* variables into per-table overrides. Every other variable whose
// name starts with CHRONOHOOK_, in any case, is an error naming it and the
// closest valid name, so a misspelt override cannot go unnoticed. The exceptions are
// CHRONOHOOK_CONFIG and the variables a secret_env or a token_env (in the
// file or from an override) names, which hold a secret rather than override a key. No
// message shows a variable's value.
Result<EnvOverrides> match_env_overrides(const ConfigEnvironment& env, const std::vector<std::string>& webhook_names,
                                         const SecretEnvTargets& secret_env_targets);

}  // namespace chronohook::config_detail

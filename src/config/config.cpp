// Loading and validating the configuration. The key names and ranges here are
// a public contract, documented in docs/configuration.md and
// config/chronohook.toml; change all three together.
#include "chronohook/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <system_error>
#include <tuple>
#include <utility>

#include <toml++/toml.h>

#include "consumers.hpp"
#include "env_overrides.hpp"
#include "messages.hpp"
#include "metrics_token.hpp"
#include "secrets.hpp"
#include "section.hpp"
#include "tables.hpp"

static_assert(TOML_EXCEPTIONS, "parse errors are caught as toml::parse_error");

namespace chronohook {
namespace config_detail {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxPathBytes = 512;

constexpr std::string_view kAddWebhookHint =
    "add one per drchrono API application, e.g.\n  [[webhook]]\n  name = \"main\"\n  path = \"/webhook\"\n  "
    "secret_file = \"/etc/chronohook/secret\"\n(config/chronohook.toml documents every key)";

// Why `path` cannot be a webhook's URL path, or nullopt.
std::optional<std::string> path_problem(std::string_view path) {
  if (!path.starts_with('/')) return "it must start with '/'";
  if (path.size() > kMaxPathBytes) return "it is longer than " + std::to_string(kMaxPathBytes) + " bytes";
  for (char c : path) {
    if (c <= ' ' || c > '~' || c == '?' || c == '#') {
      return "it may hold only printable ASCII, without spaces, '?' or '#'";
    }
  }
  return std::nullopt;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
             std::string_view::npos;
}

std::string line_of(const toml::node& node) {
  return std::to_string(node.source().begin.line);
}

struct Tables {
  const toml::table* server = nullptr;
  const toml::table* storage = nullptr;
  const toml::table* log = nullptr;
  const toml::table* admin = nullptr;
  const toml::table* retention = nullptr;
  std::vector<const toml::table*> webhooks;
  std::vector<const toml::table*> consumers;
};

Result<Tables> split_top_level(const toml::table& root) {
  Tables t;
  for (auto&& [key, node] : root) {
    const std::string_view k = key.str();
    const std::string line = line_of(node);
    if (k == "server" || k == "storage" || k == "log" || k == "admin" || k == "retention") {
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        return Error{"config: " + std::string(k) + " (line " + line + ") must be a table: write [" + std::string(k) +
                     "] and its keys below it"};
      }
      (k == "server"    ? t.server
       : k == "storage" ? t.storage
       : k == "log"     ? t.log
       : k == "admin"   ? t.admin
                        : t.retention) = table;
    } else if (k == "webhook" || k == "consumer") {
      const std::string name(k);
      const toml::array* array = node.as_array();
      if (array == nullptr) {
        return Error{"config: " + name + " (line " + line + ") must be an array of tables: write [[" + name +
                     "]] with two brackets, once per " + name};
      }
      for (const toml::node& element : *array) {
        if (element.as_table() == nullptr) {
          return Error{"config: " + name + " (line " + line_of(element) + ") must be an array of tables: write [[" +
                       name + "]]"};
        }
        (k == "webhook" ? t.webhooks : t.consumers).push_back(element.as_table());
      }
    } else {
      // A table's name is shown like a key's: only when it looks like one.
      const std::string shown = key_for_message(k);
      const bool plain = shown.starts_with('"');
      const std::string kind = !node.is_table() && !node.is_array_of_tables() ? "key " + shown + " at the top level"
                               : !plain                                       ? "table " + shown
                               : node.is_array_of_tables()                    ? "table [[" + std::string(k) + "]]"
                                                                              : "table [" + std::string(k) + "]";
      return Error{"config: unknown " + kind + " (line " + line +
                   "): check the spelling; the tables are [server], [storage], [log], [[webhook]], [admin], "
                   "[[consumer]] and [retention], and "
                   "config/chronohook.toml lists every key"};
    }
  }
  return t;
}

Status read_webhooks(const Tables& tables, const EnvOverrides& overrides, const std::vector<std::string>& names,
                     const fs::path& base, const ConfigEnvironment& env, Config& config) {
  for (std::size_t i = 0; i < tables.webhooks.size(); ++i) {
    Section s("[[webhook]] " + in_quotes(names[i]), tables.webhooks[i], overrides.webhooks[i]);
    const bool env_sets_secret = std::any_of(kSecretSourceKeys.begin(), kSecretSourceKeys.end(),
                                             [&](std::string_view key) { return s.from_env(key); });
    // An operator who supplies the secret through the environment means
    // "use this one", not "also this one".
    if (env_sets_secret) s.ignore_file_keys(kSecretSourceKeys);

    WebhookConfig hook;
    hook.name = names[i];
    if (!s.has("path")) {
      return Error{"config: " + s.label() + " has no path: add e.g. path = \"/webhook\", the URL path drchrono calls"};
    }
    s.read("path", hook.path);
    if (!s.ok()) return s.error();
    if (auto problem = path_problem(hook.path)) {
      return Error{"config: " + s.where("path") + " is " + in_quotes(hook.path) + ": " + *problem};
    }
    for (const WebhookConfig& other : config.webhooks) {
      if (other.path == hook.path) {
        return Error{"config: " + s.where("path") + " is " + in_quotes(hook.path) +
                     ", already the path of [[webhook]] " + in_quotes(other.name) +
                     ": every webhook needs its own path"};
      }
    }
    s.read("verify", hook.verify);
    if (!s.ok()) return s.error();
    if (auto st = read_webhook_secrets(s, base, env, config.warnings, hook); !st) return st;
    s.record_env_settings("webhook." + hook.name + ".", config.env_settings);
    config.webhooks.push_back(std::move(hook));
  }
  return Status::Ok();
}

// The webhooks' names, checked, in file order. They come before everything
// else because CHRONOHOOK_WEBHOOK_<NAME>_* variables are matched by them.
Result<std::vector<std::string>> webhook_names(const Tables& tables) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < tables.webhooks.size(); ++i) {
    const toml::table& table = *tables.webhooks[i];
    const toml::node* name_node = table.get("name");
    std::string label = name_node != nullptr && name_node->is_string()
                            ? "[[webhook]] " + in_quotes(name_node->as_string()->get())
                            : "[[webhook]] #" + std::to_string(i + 1) + " (line " + line_of(table) + ")";
    if (auto st = check_known_keys(table, label, kWebhookKeys); !st) return st.error();
    if (name_node == nullptr) {
      return Error{"config: " + label + " has no name: add e.g. name = \"main\" (1 to 64 letters, digits, '_' or '-')"};
    }
    Section s(label, &table, {});
    std::string name;
    s.read("name", name);
    if (!s.ok()) return s.error();
    if (!valid_name(name)) {
      return Error{"config: " + s.where("name") + " is " + in_quotes(name) +
                   ": a name is 1 to 64 letters, digits, '_' or '-'"};
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return Error{"config: " + s.where("name") + ": another [[webhook]] is already named " + in_quotes(name) +
                   "; names must be unique"};
    }
    names.push_back(std::move(name));
  }
  return names;
}

fs::path directory_of(const fs::path& file) {
  std::error_code ec;
  fs::path dir = file.empty() ? fs::current_path(ec) : fs::absolute(file, ec).parent_path();
  return ec ? file.parent_path() : dir;
}

Result<Config> load(std::string_view text, const fs::path& file, const ConfigEnvironment& env,
                    bool file_readable_by_others) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(file.native()));
  } catch (const toml::parse_error& e) {
    return Error{describe_parse_error(e, text)};
  }

  auto tables = split_top_level(root);
  if (!tables) return tables.error();
  for (auto [table, label, keys] :
       {std::tuple{tables->server, "[server]", std::span<const std::string_view>(kServerKeys)},
        std::tuple{tables->storage, "[storage]", std::span<const std::string_view>(kStorageKeys)},
        std::tuple{tables->log, "[log]", std::span<const std::string_view>(kLogKeys)},
        std::tuple{tables->admin, "[admin]", std::span<const std::string_view>(kAdminKeys)},
        std::tuple{tables->retention, "[retention]", std::span<const std::string_view>(kRetentionKeys)}}) {
    if (table == nullptr) continue;
    if (auto st = check_known_keys(*table, label, keys); !st) return st.error();
  }
  if (tables->webhooks.empty()) return Error{"config: no [[webhook]] is configured: " + std::string(kAddWebhookHint)};
  auto names = webhook_names(*tables);
  if (!names) return names.error();
  auto consumers = consumer_names(tables->consumers);
  if (!consumers) return consumers.error();

  SecretEnvTargets secret_env_targets;
  for (std::size_t i = 0; i < tables->webhooks.size(); ++i) {
    if (const auto* variable = tables->webhooks[i]->get_as<std::string>("secret_env")) {
      secret_env_targets.emplace(
          variable->get(), "[[webhook]] " + in_quotes((*names)[i]) + " secret_env (line " + line_of(*variable) + ")");
    }
  }
  add_token_env_targets(tables->consumers, *consumers, secret_env_targets);
  auto overrides = match_env_overrides(env, *names, secret_env_targets);
  if (!overrides) return overrides.error();

  Config config;
  config.source = file;
  const fs::path base = directory_of(file);

  Section server("[server]", tables->server, overrides->server);
  read_server(server, base, config.server);
  if (!server.ok()) return server.error();
  server.record_env_settings("server.", config.env_settings);
  Section storage("[storage]", tables->storage, overrides->storage);
  read_storage(storage, base, config.storage);
  if (!storage.ok()) return storage.error();
  storage.record_env_settings("storage.", config.env_settings);
  Section log("[log]", tables->log, overrides->log);
  read_log(log, config.log);
  if (!log.ok()) return log.error();
  log.record_env_settings("log.", config.env_settings);
  Section retention("[retention]", tables->retention, overrides->retention);
  read_retention(retention, tables->retention != nullptr, config.retention, config.warnings);
  if (!retention.ok()) return retention.error();
  retention.record_env_settings("retention.", config.env_settings);

  if (auto st = read_webhooks(*tables, *overrides, *names, base, env, config); !st) return st.error();
  if (tables->admin != nullptr) {
    Section admin("[admin]", tables->admin, overrides->admin);
    read_admin(admin, base, config.admin);
    if (!admin.ok()) return admin.error();
    if (auto st = read_metrics_token(admin, base, env, config.warnings, config.admin); !st) return st.error();
    admin.record_env_settings("admin.", config.env_settings);
  } else if (!overrides->admin.empty()) {
    return Error{"config: environment variable " + overrides->admin.begin()->second.variable +
                 " sets a key of [admin], but the config has no [admin] table: add [admin] to the file to turn the "
                 "pull API on, or unset the variable"};
  }
  if (auto st = read_consumers(tables->consumers, *consumers, base, env, config.warnings, config.consumers); !st) {
    return st.error();
  }
  if (auto st = check_metrics_token_is_its_own(config); !st) return st.error();
  if (config.admin.enabled && config.consumers.empty()) {
    config.warnings.push_back(
        "[admin] is on but no [[consumer]] is configured: every /v1 request is answered 401 (/healthz, /readyz and "
        "/metrics still answer)");
  }

  if (!config.server.tls) {
    config.warnings.push_back(
        "plain HTTP: [server] tls = false; hooks carry the secret in clear, so only run this behind a "
        "TLS-terminating proxy");
  }
  // Whatever the environment overrides, a secret written in the file is
  // exposed to whoever can read the file.
  const bool file_holds_secret =
      std::any_of(tables->webhooks.begin(), tables->webhooks.end(),
                  [](const auto* hook) {
                    const auto* previous = hook->template get_as<toml::array>("previous_secrets");
                    return hook->contains("secret") || (previous != nullptr && !previous->empty());
                  }) ||
      std::any_of(tables->consumers.begin(), tables->consumers.end(),
                  [](const auto* c) { return c->contains("token"); });
  if (file_readable_by_others && file_holds_secret) {
    config.warnings.push_back(
        "config file " + file.string() +
        " holds a secret and is readable by other users; chmod 600 it or use secret_file / token_file");
  }
  return config;
}

}  // namespace
}  // namespace config_detail

std::string ListenAddress::to_string() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

std::vector<Secret> WebhookConfig::accepted_secrets() const {
  std::vector<Secret> all;
  all.reserve(1 + previous_secrets.size());
  all.push_back(secret);
  all.insert(all.end(), previous_secrets.begin(), previous_secrets.end());
  return all;
}

ConfigEnvironment ConfigEnvironment::from_process() {
  ConfigEnvironment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = text.substr(0, eq);
    // Any case: a lower-case chronohook_* variable is a typo to report, not to ignore.
    constexpr std::string_view kPrefix = "CHRONOHOOK_";
    const bool ours = name.size() >= kPrefix.size() &&
                      std::equal(kPrefix.begin(), kPrefix.end(), name.begin(),
                                 [](char a, char b) { return a == std::toupper(static_cast<unsigned char>(b)); });
    if (ours || name == "CREDENTIALS_DIRECTORY") {
      env.variables.emplace(name, text.substr(eq + 1));
    }
  }
  return env;
}

Result<Config> load_config_text(std::string_view toml, const std::filesystem::path& file,
                                const ConfigEnvironment& env) {
  try {
    return config_detail::load(toml, file, env, false);
  } catch (const std::exception& e) {
    return Error{std::string("config: unexpected error while loading the configuration: ") + e.what()};
  }
}

Result<Config> load_config(const std::filesystem::path& file, const ConfigEnvironment& env) {
  try {
    namespace fs = std::filesystem;
    const std::string hint = " (choose the file with --config or CHRONOHOOK_CONFIG)";
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    if (ec) return Error{"config: cannot read " + file.string() + ": " + ec.message() + hint};
    if (!fs::is_regular_file(status)) return Error{"config: " + file.string() + " is not a regular file" + hint};
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      const int error = errno;
      std::string why = std::strerror(error);
      if (error == EACCES) {
        why += " (this process runs as uid " + std::to_string(::geteuid()) +
               ": let it read the file; with the secrets in secret_file it holds none and can be 0644)";
      }
      return Error{"config: cannot read " + file.string() + ": " + why};
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return Error{"config: cannot read " + file.string() + ": " + std::strerror(errno)};
    const bool readable_by_others =
        (status.permissions() & (fs::perms::group_read | fs::perms::others_read)) != fs::perms::none;
    return config_detail::load(text.str(), file, env, readable_by_others);
  } catch (const std::exception& e) {
    return Error{std::string("config: unexpected error while loading the configuration: ") + e.what()};
  }
}

const char* to_string(Synchronous s) {
  return s == Synchronous::kNormal ? "normal" : "full";
}

}  // namespace chronohook

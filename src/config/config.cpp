// Loading and validating the configuration. The key names and ranges here are
// a public contract, documented in docs/configuration.md and
// config/chronohook.toml; change all three together.
#include "chronohook/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
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

#include "env_overrides.hpp"
#include "secrets.hpp"

static_assert(TOML_EXCEPTIONS, "parse errors are caught as toml::parse_error");

namespace chronohook {
namespace config_detail {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMinTimeoutMs = 100;
constexpr std::int64_t kMaxTimeoutMs = 3'600'000;
constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxPathBytes = 512;

constexpr std::string_view kAddWebhookHint =
    "add one per drchrono API application, e.g.\n  [[webhook]]\n  name = \"main\"\n  path = \"/webhook\"\n  "
    "secret_file = \"/etc/chronohook/secret\"\n(config/chronohook.toml documents every key)";

// Why `text` is not a usable listen address, or nullopt and `out` filled.
std::optional<std::string> parse_listen(std::string_view text, ListenAddress& out) {
  constexpr std::string_view kForm =
      "expected \"host:port\", e.g. \"0.0.0.0:8443\", \"127.0.0.1:8443\" or \"[::]:8443\"";
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "an IPv6 address needs its closing ']', e.g. \"[::]:8443\"";
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.starts_with(':')) return "expected ':' and a port after ']', e.g. \"[::]:8443\"";
    port = rest.substr(1);
    if (host.find(':') == std::string_view::npos) {
      return "brackets are for IPv6 addresses; write an IPv4 address or host name without them";
    }
    const std::string_view address = host.substr(0, host.find('%'));
    const std::string_view zone = host.size() > address.size() ? host.substr(address.size() + 1) : "";
    if (address.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos ||
        (host.size() > address.size() &&
         (zone.empty() || zone.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                              std::string_view::npos))) {
      return "the part in brackets is not an IPv6 address";
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::string(kForm);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return "an IPv6 address goes in brackets, e.g. \"[::1]:8443\"";
    if (host.empty()) {
      return "the host is missing; \"0.0.0.0:8443\" listens on every IPv4 address, \"[::]:8443\" on all";
    }
    if (host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
        std::string_view::npos) {
      return "the host must be an IPv4 address or a host name; " + std::string(kForm);
    }
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoul(std::string(port)) > 65535) {
    return "the port must be a number from 0 to 65535";
  }
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(std::stoul(std::string(port)));
  return std::nullopt;
}

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
  std::vector<const toml::table*> webhooks;
};

Result<Tables> split_top_level(const toml::table& root) {
  Tables t;
  for (auto&& [key, node] : root) {
    const std::string_view k = key.str();
    const std::string line = line_of(node);
    if (k == "server" || k == "storage" || k == "log") {
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        return Error{"config: " + std::string(k) + " (line " + line + ") must be a table: write [" + std::string(k) +
                     "] and its keys below it"};
      }
      (k == "server" ? t.server : k == "storage" ? t.storage : t.log) = table;
    } else if (k == "webhook") {
      const toml::array* array = node.as_array();
      if (array == nullptr) {
        return Error{"config: webhook (line " + line +
                     ") must be an array of tables: write [[webhook]] with two brackets, once per webhook"};
      }
      for (const toml::node& element : *array) {
        if (element.as_table() == nullptr) {
          return Error{"config: webhook (line " + line_of(element) + ") must be an array of tables: write [[webhook]]"};
        }
        t.webhooks.push_back(element.as_table());
      }
    } else {
      const std::string kind = node.is_array_of_tables() ? "table [[" + std::string(k) + "]]"
                               : node.is_table()         ? "table [" + std::string(k) + "]"
                                                         : "key " + in_quotes(k) + " at the top level";
      return Error{"config: unknown " + kind + " (line " + line +
                   "): check the spelling; the tables are [server], [storage], [log] and [[webhook]], and "
                   "config/chronohook.toml lists every key"};
    }
  }
  return t;
}

void read_server(Section& s, const fs::path& base, ServerConfig& out) {
  if (s.has("listen")) {
    std::string text;
    s.read("listen", text);
    if (s.ok()) {
      if (auto problem = parse_listen(text, out.listen)) {
        s.fail("config: " + s.where("listen") + " is " + in_quotes(text) + ": " + *problem);
      }
    }
  }
  s.read("tls", out.tls);
  s.read_path("tls_cert", base, out.tls_cert);
  s.read_path("tls_key", base, out.tls_key);
  s.read("threads", 0, 256, out.threads);
  s.read("max_connections", 1, 1'000'000, out.max_connections);
  s.read("max_body_bytes", 1024, 64 * 1024 * 1024, out.max_body_bytes);
  s.read("max_header_bytes", 1024, 1024 * 1024, out.max_header_bytes);
  s.read("max_msg_bytes", 1, 65536, out.max_msg_bytes);
  s.read("handshake_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.handshake_timeout);
  s.read("header_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.header_timeout);
  s.read("body_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.body_timeout);
  s.read("idle_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.idle_timeout);
  s.read("write_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.write_timeout);
  s.read("shutdown_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.shutdown_timeout);
  s.read("verify_rate_per_minute", 1, 100'000, out.verify_rate_per_minute);
}

void read_storage(Section& s, const fs::path& base, StorageConfig& out) {
  s.read_path("path", base, out.path);
  if (s.has("synchronous")) {
    std::string text;
    s.read("synchronous", text);
    if (text == "full") {
      out.synchronous = Synchronous::kFull;
    } else if (text == "normal") {
      out.synchronous = Synchronous::kNormal;
    } else if (s.ok()) {
      s.fail("config: " + s.where("synchronous") + " is " + in_quotes(text) + ": use \"full\" or \"normal\"");
    }
  }
  s.read("busy_timeout_ms", 0, 600'000, out.busy_timeout);
  s.read("queue_capacity", 1, 1'000'000, out.queue_capacity);
  s.read("max_batch", 1, 10'000, out.max_batch);
}

void read_log(Section& s, LogConfig& out) {
  static constexpr std::array<std::string_view, 7> kLevels{"trace", "debug",    "info", "warn",
                                                           "error", "critical", "off"};
  if (s.has("level")) {
    std::string text;
    s.read("level", text);
    if (s.ok() && std::find(kLevels.begin(), kLevels.end(), text) == kLevels.end()) {
      s.fail("config: " + s.where("level") + " is " + in_quotes(text) +
             ": use trace, debug, info, warn, error, critical or off");
    }
    if (s.ok()) out.level = text;
  }
  s.read("access_log", out.access_log);
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
        std::tuple{tables->log, "[log]", std::span<const std::string_view>(kLogKeys)}}) {
    if (table == nullptr) continue;
    if (auto st = check_known_keys(*table, label, keys); !st) return st.error();
  }
  if (tables->webhooks.empty()) return Error{"config: no [[webhook]] is configured: " + std::string(kAddWebhookHint)};
  auto names = webhook_names(*tables);
  if (!names) return names.error();

  std::set<std::string, std::less<>> secret_env_names;
  for (const toml::table* hook : tables->webhooks) {
    if (const auto* variable = hook->get_as<std::string>("secret_env")) secret_env_names.insert(variable->get());
  }
  auto overrides = match_env_overrides(env, *names, secret_env_names);
  if (!overrides) return overrides.error();

  Config config;
  config.source = file;
  const fs::path base = directory_of(file);

  Section server("[server]", tables->server, overrides->server);
  read_server(server, base, config.server);
  if (!server.ok()) return server.error();
  Section storage("[storage]", tables->storage, overrides->storage);
  read_storage(storage, base, config.storage);
  if (!storage.ok()) return storage.error();
  Section log("[log]", tables->log, overrides->log);
  read_log(log, config.log);
  if (!log.ok()) return log.error();

  if (auto st = read_webhooks(*tables, *overrides, *names, base, env, config); !st) return st.error();

  if (!config.server.tls) {
    config.warnings.push_back(
        "plain HTTP: [server] tls = false; hooks carry the secret in clear, so only run this behind a "
        "TLS-terminating proxy");
  }
  // Whatever the environment overrides, a secret written in the file is
  // exposed to whoever can read the file.
  const bool file_holds_secret = std::any_of(tables->webhooks.begin(), tables->webhooks.end(), [](const auto* hook) {
    const auto* previous = hook->template get_as<toml::array>("previous_secrets");
    return hook->contains("secret") || (previous != nullptr && !previous->empty());
  });
  if (file_readable_by_others && file_holds_secret) {
    config.warnings.push_back("config file " + file.string() +
                              " holds a secret and is readable by other users; chmod 600 it or use secret_file");
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
    if (name.starts_with("CHRONOHOOK_") || name == "CREDENTIALS_DIRECTORY") {
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
    if (!in) return Error{"config: cannot read " + file.string() + ": " + std::strerror(errno)};
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

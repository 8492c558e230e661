// [admin] and [[consumer]]: the pull API's listener and the programs allowed
// to use it. The key names are a public contract, documented in
// docs/configuration.md and config/chronohook.toml; change all three together.
#include "consumers.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <string_view>

#include "listen.hpp"
#include "messages.hpp"
#include "secret_file.hpp"
#include "secrets.hpp"

namespace chronohook::config_detail {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMinTokenBytes = 16;

bool valid_consumer_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
             std::string_view::npos;
}

// 127.0.0.0/8, ::1 or "localhost": the only places plain HTTP may listen.
bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  unsigned char v4[4];
  if (::inet_pton(AF_INET, host.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (::inet_pton(AF_INET6, host.c_str(), v6) == 1) {
    return std::all_of(v6, v6 + 15, [](unsigned char b) { return b == 0; }) && v6[15] == 1;
  }
  return false;
}

std::string line_of(const toml::node& node) {
  return std::to_string(node.source().begin.line);
}

}  // namespace

// A Bearer token is a header value that clients send verbatim: printable
// ASCII, no spaces, so nothing is trimmed or mangled on the way.
Status check_token(const Secret& token, std::string_view where, std::string_view what) {
  for (char c : token.expose()) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return Error{"config: " + std::string(where) + ": " + std::string(what) +
                   " holds a space, a control character or a non-ASCII byte; a token is sent as "
                   "\"Authorization: Bearer <token>\", so use printable ASCII without spaces (e.g. 40 hex "
                   "characters from `openssl rand -hex 20`)"};
    }
  }
  if (token.size() < kMinTokenBytes) {
    return Error{"config: " + std::string(where) + ": " + std::string(what) + " is " + std::to_string(token.size()) +
                 " bytes; at least " + std::to_string(kMinTokenBytes) +
                 " are required (e.g. 40 hex characters from `openssl rand -hex 20`)"};
  }
  return Status::Ok();
}

void read_admin(Section& s, const fs::path& base, AdminConfig& out) {
  out.enabled = true;
  if (s.has("listen")) {
    std::string text;
    s.read("listen", text);
    if (s.ok()) {
      if (auto problem = parse_listen(text, out.listen)) {
        s.fail("config: " + s.where("listen") + " is " + in_quotes(text) + ": " + *problem);
      }
    }
  }
  s.read_path("tls_cert", base, out.tls_cert);
  s.read_path("tls_key", base, out.tls_key);
  s.read("readers", 1, 64, out.readers);
  if (!s.ok()) return;
  if (out.tls_cert.empty() != out.tls_key.empty()) {
    const std::string_view set = out.tls_cert.empty() ? "tls_key" : "tls_cert";
    const std::string_view missing = out.tls_cert.empty() ? "tls_cert" : "tls_key";
    return s.fail("config: " + s.where(set) + " is set but " + std::string(missing) +
                  " is not: set both for TLS, or neither for plain HTTP on a loopback address");
  }
  if (out.tls_cert.empty() && !is_loopback(out.listen.host)) {
    s.fail("config: " + s.where("listen") + " is " + in_quotes(out.listen.to_string()) +
           " without TLS: consumers' tokens would cross the network in clear, so plain HTTP is allowed only on a "
           "loopback address (127.0.0.1, ::1, localhost); set tls_cert and tls_key, or listen on 127.0.0.1");
  }
}

Result<std::vector<std::string>> consumer_names(const std::vector<const toml::table*>& tables) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const toml::table& table = *tables[i];
    const toml::node* name_node = table.get("name");
    const std::string label = name_node != nullptr && name_node->is_string()
                                  ? "[[consumer]] " + in_quotes(name_node->as_string()->get())
                                  : "[[consumer]] #" + std::to_string(i + 1) + " (line " + line_of(table) + ")";
    if (auto st = check_known_keys(table, label, kConsumerKeys); !st) return st.error();
    if (name_node == nullptr) {
      return Error{"config: " + label +
                   " has no name: add e.g. name = \"billing\" (1 to 64 letters, digits, '_', '.' or '-')"};
    }
    Section s(label, &table, {});
    std::string name;
    s.read("name", name);
    if (!s.ok()) return s.error();
    if (!valid_consumer_name(name)) {
      return Error{"config: " + s.where("name") + " is " + in_quotes(name) +
                   ": a consumer's name is 1 to 64 letters, digits, '_', '.' or '-'"};
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return Error{"config: " + s.where("name") + ": another [[consumer]] is already named " + in_quotes(name) +
                   "; names must be unique (each has its own cursor)"};
    }
    names.push_back(std::move(name));
  }
  return names;
}

void add_token_env_targets(const std::vector<const toml::table*>& tables, const std::vector<std::string>& names,
                           SecretEnvTargets& targets) {
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (const auto* variable = tables[i]->get_as<std::string>("token_env")) {
      targets.emplace(variable->get(),
                      "[[consumer]] " + in_quotes(names[i]) + " token_env (line " + line_of(*variable) + ")");
    }
  }
}

Status read_consumers(const std::vector<const toml::table*>& tables, const std::vector<std::string>& names,
                      const fs::path& base, const ConfigEnvironment& env, std::vector<std::string>& warnings,
                      std::vector<ConsumerConfig>& out) {
  for (std::size_t i = 0; i < tables.size(); ++i) {
    Section s("[[consumer]] " + in_quotes(names[i]), tables[i], {});
    std::vector<std::string_view> sources;
    for (std::string_view key : kTokenSourceKeys) {
      if (s.has(key)) sources.push_back(key);
    }
    if (sources.empty()) {
      return Error{"config: " + s.label() + " has no token: set token_file, token_env or token"};
    }
    if (sources.size() > 1) {
      return Error{"config: " + s.label() + " has more than one token source (" + s.where_in_table(sources[0]) +
                   " and " + s.where_in_table(sources[1]) + "): keep exactly one of token_file, token_env and token"};
    }
    const std::string_view source = sources[0];
    const std::string where = s.where(source);
    std::string value;
    s.read(source, value);
    if (!s.ok()) return s.error();

    ConsumerConfig consumer;
    consumer.name = names[i];
    consumer.token_source = s.where_in_table(source);
    std::string_view what = "the token";
    if (source == "token") {
      consumer.token = Secret(std::move(value));
    } else if (source == "token_file") {
      what = "the token in the file it names";
      auto file = secret_from_file(value, where, base, env, warnings);
      if (!file) return file.error();
      if (file->from_credentials) consumer.token_source += ", found in $CREDENTIALS_DIRECTORY";
      consumer.token = std::move(file->secret);
    } else {
      what = "the value of the variable it names";
      auto token = secret_from_env(value, where, env);
      if (!token) return token.error();
      consumer.token = std::move(*token);
    }
    if (auto st = check_token(consumer.token, where, what); !st) return st;
    for (const ConsumerConfig& other : out) {
      // Tokens identify consumers: two alike would make one read as the other.
      if (other.token.digest() == consumer.token.digest()) {
        return Error{"config: " + where + ": " + std::string(what) + " is the same as [[consumer]] " +
                     in_quotes(other.name) + "'s; every consumer needs a token of its own"};
      }
    }
    out.push_back(std::move(consumer));
  }
  return Status::Ok();
}

}  // namespace chronohook::config_detail

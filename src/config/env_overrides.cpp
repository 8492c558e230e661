// CHRONOHOOK_* environment overrides, and reading a table's keys with those
// overrides laid over the file's values so that both go through the same
// type and range checks.
#include "env_overrides.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <utility>

namespace chronohook::config_detail {
namespace {

constexpr std::string_view kPrefix = "CHRONOHOOK_";
constexpr std::string_view kWebhookPrefix = "WEBHOOK_";

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string line_suffix(const toml::source_region& source) {
  return source.begin.line > 0 ? " (line " + std::to_string(source.begin.line) + ")" : "";
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// "LISTEN" -> "listen" when the table has that key.
std::optional<std::string_view> key_for(std::string_view suffix, std::span<const std::string_view> keys) {
  for (std::string_view key : keys) {
    if (upper(key) == suffix) return key;
  }
  return std::nullopt;
}

std::string upper_list(std::span<const std::string_view> keys) {
  std::string out;
  for (std::string_view key : keys) {
    if (!out.empty()) out += ", ";
    out += upper(key);
  }
  return out;
}

struct TablePrefix {
  std::string_view prefix;  // after CHRONOHOOK_
  std::string_view label;
  std::span<const std::string_view> keys;
  Overrides EnvOverrides::*target;
};

constexpr std::array<TablePrefix, 3> kTablePrefixes{{
    {"SERVER_", "[server]", kServerKeys, &EnvOverrides::server},
    {"STORAGE_", "[storage]", kStorageKeys, &EnvOverrides::storage},
    {"LOG_", "[log]", kLogKeys, &EnvOverrides::log},
}};

}  // namespace

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string env_name_of(std::string_view webhook_name) {
  std::string out = upper(webhook_name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

Result<EnvOverrides> match_env_overrides(const ConfigEnvironment& env, const std::vector<std::string>& webhook_names,
                                         const std::set<std::string, std::less<>>& secret_env_names) {
  EnvOverrides out;
  out.webhooks.resize(webhook_names.size());
  std::vector<std::string> unmatched;
  std::set<std::string, std::less<>> overridden_secret_envs;

  for (const auto& [variable, value] : env.variables) {
    std::string_view name = variable;
    if (!name.starts_with(kPrefix)) continue;
    name.remove_prefix(kPrefix.size());

    bool under_table = false;
    for (const TablePrefix& table : kTablePrefixes) {
      if (!name.starts_with(table.prefix)) continue;
      under_table = true;
      if (auto key = key_for(name.substr(table.prefix.size()), table.keys)) {
        (out.*table.target)[std::string(*key)] = Override{variable, value};
      } else {
        unmatched.push_back(variable);
      }
    }
    if (under_table || !name.starts_with(kWebhookPrefix)) continue;  // other CHRONOHOOK_* names are not ours

    const std::string_view rest = name.substr(kWebhookPrefix.size());
    std::vector<std::pair<std::size_t, std::string_view>> candidates;
    for (std::size_t i = 0; i < webhook_names.size(); ++i) {
      const std::string hook = env_name_of(webhook_names[i]) + "_";
      if (!rest.starts_with(hook)) continue;
      if (auto key = key_for(rest.substr(hook.size()), kWebhookEnvKeys)) candidates.emplace_back(i, *key);
    }
    if (candidates.empty()) {
      unmatched.push_back(variable);
      continue;
    }
    if (candidates.size() > 1) {
      return Error{"config: environment variable " + variable + " matches more than one [[webhook]] (" +
                   in_quotes(webhook_names[candidates[0].first]) + " and " +
                   in_quotes(webhook_names[candidates[1].first]) +
                   "): rename one so their upper-cased names, with '-' as '_', differ"};
    }
    out.webhooks[candidates[0].first][std::string(candidates[0].second)] = Override{variable, value};
    if (candidates[0].second == "secret_env") overridden_secret_envs.insert(value);
  }

  for (const std::string& variable : unmatched) {
    if (secret_env_names.contains(variable) || overridden_secret_envs.contains(variable)) continue;
    std::string_view name = std::string_view(variable).substr(kPrefix.size());
    for (const TablePrefix& table : kTablePrefixes) {
      if (!name.starts_with(table.prefix)) continue;
      return Error{"config: environment variable " + variable + " matches no key of " + std::string(table.label) +
                   ": use CHRONOHOOK_" + std::string(table.prefix) + "<KEY> with KEY one of " + upper_list(table.keys) +
                   " (names are case-sensitive)"};
    }
    std::string hooks;
    for (const std::string& hook : webhook_names) hooks += (hooks.empty() ? "" : ", ") + env_name_of(hook);
    return Error{"config: environment variable " + variable +
                 " matches no [[webhook]] and key: use CHRONOHOOK_WEBHOOK_<NAME>_<KEY> with NAME one of " + hooks +
                 " and KEY one of " + upper_list(kWebhookEnvKeys)};
  }
  return out;
}

Status check_known_keys(const toml::table& table, std::string_view label, std::span<const std::string_view> known) {
  for (auto&& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    const auto& source = key.source().begin.line > 0 ? key.source() : node.source();
    return Error{"config: unknown key " + in_quotes(key.str()) + " in " + std::string(label) + line_suffix(source) +
                 ": check the spelling; config/chronohook.toml lists every key"};
  }
  return Status::Ok();
}

Section::Section(std::string label, const toml::table* table, Overrides overrides)
    : label_(std::move(label)), table_(table), overrides_(std::move(overrides)) {}

void Section::fail(std::string message) {
  if (!error_) error_ = Error{std::move(message)};
}

const toml::node* Section::file_node(std::string_view key) const {
  if (table_ == nullptr || ignored_.contains(key)) return nullptr;
  return table_->get(key);
}

bool Section::has(std::string_view key) const {
  return from_env(key) || file_node(key) != nullptr;
}

std::string Section::where(std::string_view key) const {
  std::string out = label_ + " " + std::string(key);
  if (auto it = overrides_.find(key); it != overrides_.end()) return out + " (from " + it->second.variable + ")";
  if (const toml::node* node = file_node(key)) return out + line_suffix(node->source());
  return out;
}

void Section::ignore_file_keys(std::span<const std::string_view> keys) {
  for (std::string_view key : keys) ignored_.emplace(key);
}

void Section::wrong_type(std::string_view key, const toml::node& node, std::string_view expected) {
  // Only the type is named: the value could be a secret.
  fail("config: " + where(key) + " must be " + std::string(expected) + ", not " + type_name(node));
}

void Section::read(std::string_view key, std::string& out) {
  if (!ok()) return;
  if (auto it = overrides_.find(key); it != overrides_.end()) {
    out = it->second.value;
  } else if (const toml::node* node = file_node(key)) {
    if (const auto* s = node->as_string()) {
      out = s->get();
    } else {
      wrong_type(key, *node, "a string");
    }
  }
}

void Section::read(std::string_view key, bool& out) {
  if (!ok()) return;
  if (auto it = overrides_.find(key); it != overrides_.end()) {
    const std::string v = lower(it->second.value);
    if (v == "true" || v == "1" || v == "yes") {
      out = true;
    } else if (v == "false" || v == "0" || v == "no") {
      out = false;
    } else {
      fail("config: " + where(key) + " must be true or false (or 1/0, yes/no), not " + in_quotes(it->second.value));
    }
  } else if (const toml::node* node = file_node(key)) {
    if (const auto* b = node->as_boolean()) {
      out = b->get();
    } else {
      wrong_type(key, *node, "a boolean (true or false, unquoted)");
    }
  }
}

std::optional<std::int64_t> Section::read_integer(std::string_view key, std::int64_t min, std::int64_t max) {
  if (!ok()) return std::nullopt;
  std::int64_t value = 0;
  if (auto it = overrides_.find(key); it != overrides_.end()) {
    const std::string& text = it->second.value;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
      fail("config: " + where(key) + " must be a decimal integer from " + std::to_string(min) + " to " +
           std::to_string(max) + ", not " + in_quotes(text));
      return std::nullopt;
    }
  } else if (const toml::node* node = file_node(key)) {
    const auto* i = node->as_integer();
    if (i == nullptr) {
      wrong_type(key, *node, "an integer");
      return std::nullopt;
    }
    value = i->get();
  } else {
    return std::nullopt;
  }
  if (value < min || value > max) {
    fail("config: " + where(key) + " is " + std::to_string(value) + "; the allowed range is " + std::to_string(min) +
         ".." + std::to_string(max));
    return std::nullopt;
  }
  return value;
}

void Section::read(std::string_view key, std::int64_t min, std::int64_t max, std::chrono::milliseconds& out) {
  if (auto v = read_integer(key, min, max)) out = std::chrono::milliseconds(*v);
}

void Section::read_path(std::string_view key, const std::filesystem::path& base, std::filesystem::path& out) {
  if (!ok() || !has(key)) return;
  std::string text;
  read(key, text);
  if (!ok()) return;
  if (text.empty()) return fail("config: " + where(key) + " must not be empty");
  if (text.find('\0') != std::string::npos) return fail("config: " + where(key) + " must not contain a NUL byte");
  const std::filesystem::path p(text);
  out = p.is_relative() ? (base / p).lexically_normal() : p;
}

std::vector<Section::Item> Section::read_string_array(std::string_view key) {
  std::vector<Item> items;
  const toml::node* node = ok() ? file_node(key) : nullptr;
  if (node == nullptr) return items;
  const auto* array = node->as_array();
  if (array == nullptr) {
    wrong_type(key, *node, "an array of strings");
    return items;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    std::string where = label_ + " " + std::string(key) + "[" + std::to_string(i) + "]" +
                        line_suffix(element.source().begin.line > 0 ? element.source() : node->source());
    const auto* s = element.as_string();
    if (s == nullptr) {
      fail("config: " + where + " must be a string, not " + type_name(element));
      return {};
    }
    items.push_back(Item{s->get(), std::move(where)});
  }
  return items;
}

}  // namespace chronohook::config_detail

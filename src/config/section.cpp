// Section: one table's keys, the environment's values laid over the file's,
// read through the same type and range checks.
#include "section.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "messages.hpp"

namespace chronohook::config_detail {
namespace {

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

// A scalar as the file spells it, for "overrides the file's ...".
std::string as_written(const toml::node& node) {
  if (const auto* s = node.as_string()) return in_quotes(s->get());
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  return type_name(node);
}

}  // namespace

Status check_known_keys(const toml::table& table, std::string_view label, std::span<const std::string_view> known) {
  for (auto&& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    const auto& source = key.source().begin.line > 0 ? key.source() : node.source();
    return Error{"config: unknown key " + key_for_message(key.str()) + " in " + std::string(label) +
                 line_suffix(source) + ": check the spelling; config/chronohook.toml lists every key"};
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

std::string Section::where_in_table(std::string_view key) const {
  return where(key).substr(label_.size() + 1);
}

void Section::ignore_file_keys(std::span<const std::string_view> keys) {
  for (std::string_view key : keys) ignored_.emplace(key);
}

std::optional<EnvSetting> Section::env_setting(std::string_view key) const {
  auto it = overrides_.find(key);
  if (it == overrides_.end()) return std::nullopt;
  EnvSetting setting{it->second.variable, ""};
  if (is_secret_bearing(key)) {
    // The file's secret source, by key name only: any of them is replaced.
    for (std::string_view source : kSecretSourceKeys) {
      if (table_ == nullptr || !table_->contains(source)) continue;
      setting.replaced += (setting.replaced.empty() ? "the file's " : " and ") + std::string(source);
    }
  } else if (const toml::node* node = file_node(key)) {
    setting.replaced = "the file's " + as_written(*node);
  }
  return setting;
}

void Section::record_env_settings(std::string_view prefix, std::map<std::string, EnvSetting>& out) const {
  for (const auto& [key, override] : overrides_) {
    if (auto setting = env_setting(key)) out.insert_or_assign(std::string(prefix) + key, std::move(*setting));
  }
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

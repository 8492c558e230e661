// Private to src/config: Section, which reads one table's keys with the
// environment's values laid over the file's, so that both go through the same
// type and range checks.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
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
#include "env_overrides.hpp"

namespace chronohook::config_detail {

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
  // where(key) without the label: "listen (line 3)".
  std::string where_in_table(std::string_view key) const;
  // Makes the file's values of `keys` invisible, for when the environment
  // replaces a group of keys as a whole (a webhook's secret source).
  void ignore_file_keys(std::span<const std::string_view> keys);

  // The keys the environment set, each with its variable and what it
  // replaced in the file, into `out` under `prefix` + key. A secret-bearing
  // key names what it replaced, never the file's value.
  void record_env_settings(std::string_view prefix, std::map<std::string, EnvSetting>& out) const;
  // The same for one key, or nullopt when the environment did not set it.
  std::optional<EnvSetting> env_setting(std::string_view key) const;

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

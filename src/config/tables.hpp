// Private to src/config: reading the [server], [storage], [log] and
// [retention] tables, key by key, with their types and ranges.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "chronohook/config.hpp"
#include "section.hpp"

namespace chronohook::config_detail {

// Each fills what its section sets and leaves defaults alone; errors are
// recorded in the section. Relative paths are taken relative to `base`.
void read_server(Section& s, const std::filesystem::path& base, ServerConfig& out);
void read_storage(Section& s, const std::filesystem::path& base, StorageConfig& out);
void read_log(Section& s, LogConfig& out);
// Enabled when the file has the table or the environment sets one of its
// keys; an enabled table must set max_age or max_events.
void read_retention(Section& s, bool table_present, RetentionConfig& out, std::vector<std::string>& warnings);

}  // namespace chronohook::config_detail

// Private to src/config: reading the [server], [storage] and [log] tables,
// key by key, with their types and ranges.
#pragma once

#include <filesystem>

#include "chronohook/config.hpp"
#include "section.hpp"

namespace chronohook::config_detail {

// Each fills what its section sets and leaves defaults alone; errors are
// recorded in the section. Relative paths are taken relative to `base`.
void read_server(Section& s, const std::filesystem::path& base, ServerConfig& out);
void read_storage(Section& s, const std::filesystem::path& base, StorageConfig& out);
void read_log(Section& s, LogConfig& out);

}  // namespace chronohook::config_detail

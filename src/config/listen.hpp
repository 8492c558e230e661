// Private to src/config: [server] listen, "host:port", parsed and explained.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chronohook/config.hpp"

namespace chronohook::config_detail {

// Why `text` is not a usable listen address, or nullopt with `out` filled.
// The reason never repeats `text`; the caller quotes it.
std::optional<std::string> parse_listen(std::string_view text, ListenAddress& out);

}  // namespace chronohook::config_detail

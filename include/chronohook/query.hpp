// Query strings decoded the way Django's request.GET decodes them, because
// drchrono's own verification example reads request.GET['msg'].
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chronohook/result.hpp"

namespace chronohook {

// Decodes one application/x-www-form-urlencoded component: '+' is a space,
// "%XX" is the byte 0xXX. A '%' not followed by two hex digits is an error.
// The result is bytes; callers that need text check UTF-8 themselves.
Result<std::string> form_decode(std::string_view component);

// The decoded value of the last `name` parameter in `query` (the part after
// '?'), as Django's QueryDict.__getitem__ returns the last one; nullopt when
// absent. Keys are decoded before they are compared. Errors name the problem
// but never echo the value.
Result<std::optional<std::string>> query_parameter(std::string_view query, std::string_view name);

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view bytes);

}  // namespace chronohook

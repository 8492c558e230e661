// Private to src/config: what a configuration message may show. Values of
// secret-bearing keys never appear; names and paths that are not secret are
// escaped so they cannot garble a terminal or a log line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace chronohook::config_detail {

// `s` in double quotes with control and non-ASCII bytes escaped, so an echoed
// name or path cannot garble a terminal or a log line.
std::string in_quotes(std::string_view s);

// An unknown key as a message may name it: in quotes when it looks like a
// key name, otherwise described without its text, since it could be a secret
// pasted where a key belongs.
std::string key_for_message(std::string_view key);

// "config: TOML syntax error at line L, column C: ..." for a parse error in
// `text`, with anything the parser quotes from the input blanked.
std::string describe_parse_error(const toml::parse_error& e, std::string_view text);

// What makes `secret` unusable as drchrono's X-drchrono-signature, or
// nullopt: "ends with a newline", "contains a control character", ...
// Describes the kind of byte only, never the byte or where it is.
std::optional<std::string> secret_shape_problem(std::string_view secret);

}  // namespace chronohook::config_detail

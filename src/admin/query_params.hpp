// Private to src/admin: the API's query parameters, decoded and checked.
// Errors name the parameter and what it takes; they never echo a value.
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chronohook/event_reader.hpp"
#include "chronohook/result.hpp"

namespace chronohook::admin {

// Decoded name=value pairs, in order.
using Params = std::vector<std::pair<std::string, std::string>>;

// Splits and form-decodes `query`. A parameter not in `allowed` is an error
// (a misspelt `limt` must not silently read 100 events).
Result<Params> parse_query(std::string_view query, std::initializer_list<std::string_view> allowed);

// after, limit, event, patient (when `filters`) and wait into `filter` and
// `wait`: after >= 0; 1 <= limit <= 1000 (default 100); event repeatable or
// a comma list, each a name or a prefix with a trailing '*'; wait 0..60 s.
Status read_list_params(const Params& params, EventFilter& filter, std::chrono::seconds& wait, bool filters);

// A boolean parameter: true or false (absent: unchanged).
Status read_flag(const Params& params, std::string_view name, bool& out);

}  // namespace chronohook::admin

// Reading back a log written with [log] format = "json": one JSON object per
// line, parsed by nlohmann/json (kept out of the test files, which then
// compile quickly).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chronohook::testing {

struct JsonLogLine {
  bool parsed = false;            // a JSON object whose values are all strings
  std::vector<std::string> keys;  // in the order written
  std::string time;
  std::string level;
  std::string message;
  std::string text;  // the line itself, for failure messages
};

// Every line of `log` (the last may lack its newline).
std::vector<JsonLogLine> parse_json_log(std::string_view log);

}  // namespace chronohook::testing

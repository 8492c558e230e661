#include "support/json_lines.hpp"

#include <nlohmann/json.hpp>

namespace chronohook::testing {

std::vector<JsonLogLine> parse_json_log(std::string_view log) {
  std::vector<JsonLogLine> lines;
  while (!log.empty()) {
    const std::size_t end = log.find('\n');
    JsonLogLine line;
    line.text = std::string(log.substr(0, end));
    log.remove_prefix(end == std::string_view::npos ? log.size() : end + 1);
    try {
      // ordered_json keeps the keys in the order the daemon wrote them.
      const auto json = nlohmann::ordered_json::parse(line.text);
      line.parsed = json.is_object();
      for (const auto& [key, value] : json.items()) {
        line.keys.push_back(key);
        if (!value.is_string()) line.parsed = false;
      }
      if (line.parsed) {
        line.time = json.value("time", "");
        line.level = json.value("level", "");
        line.message = json.value("message", "");
      }
    } catch (const nlohmann::json::exception&) {
      line.parsed = false;
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace chronohook::testing

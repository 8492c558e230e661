// An event as JSON: the one shape the events CLI and the pull API print.
#include <string>
#include <string_view>

#include "chronohook/event_reader.hpp"

namespace chronohook {
namespace {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_optional(std::string& out, const std::optional<std::string>& s) {
  if (s) {
    append_json_string(out, *s);
  } else {
    out += "null";
  }
}

}  // namespace

void append_event_json(std::string& out, const StoredEvent& e) {
  out += "{\"seq\":";
  out += std::to_string(e.seq);
  out += ",\"webhook\":";
  append_json_string(out, e.webhook);
  out += ",\"delivery_id\":";
  append_json_string(out, e.delivery_id);
  out += ",\"event\":";
  append_json_string(out, e.event);
  out += ",\"received_at\":";
  append_json_string(out, e.received_at);
  out += ",\"last_seen_at\":";
  append_json_string(out, e.last_seen_at);
  out += ",\"attempts\":";
  out += std::to_string(e.attempts);
  out += ",\"object_id\":";
  append_optional(out, e.object_id);
  out += ",\"patient_id\":";
  append_optional(out, e.patient_id);
  out += ",\"practice_group_id\":";
  append_optional(out, e.practice_group_id);
  out += ",\"conflicts_with\":";
  out += e.conflicts_with ? std::to_string(*e.conflicts_with) : std::string("null");
  // Validated as one JSON object on the way in (src/webhook/payload.cpp):
  // spliced as it is, so the API never re-parses a payload.
  out += ",\"payload\":";
  out += e.payload;
  out += '}';
}

std::string event_json(const StoredEvent& event) {
  std::string out;
  out.reserve(event.payload.size() + 320);
  append_event_json(out, event);
  return out;
}

}  // namespace chronohook

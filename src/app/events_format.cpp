// The pure half of `chronohook events`: see events_format.hpp.
#include "app/events_format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <exception>
#include <limits>

#include <nlohmann/json.hpp>

namespace chronohook::app {

namespace {

bool is_event_pattern(std::string_view pattern) {
  if (pattern.ends_with('*')) pattern.remove_suffix(1);
  return std::all_of(pattern.begin(), pattern.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Error option_error(std::string_view option, std::string_view problem) {
  return Error{std::string(option) + ": " + std::string(problem)};
}

// A non-empty --webhook or --patient: an empty one would match nothing and
// is almost certainly a script's unset variable.
Status require_text(std::string_view option, const std::optional<std::string>& value) {
  if (value && value->empty()) return option_error(option, "must not be empty");
  return Status::Ok();
}

std::string pad(std::string_view text, std::size_t width, bool right) {
  std::string out;
  const std::size_t fill = width > text.size() ? width - text.size() : 0;
  if (right) out.append(fill, ' ');
  out.append(text);
  if (!right) out.append(fill, ' ');
  return out;
}

}  // namespace

Result<EventFilter> build_filter(const FilterOptions& options, std::size_t default_limit,
                                 std::chrono::system_clock::time_point now) {
  EventFilter filter;
  for (const std::string& pattern : options.events) {
    if (pattern.empty() || pattern == "*" || !is_event_pattern(pattern)) {
      return option_error("--event", "\"" + printable(pattern) +
                                         "\" is not an event name or prefix: letters, digits and _ with an "
                                         "optional trailing * (APPOINTMENT_CREATE, PATIENT_*)");
    }
    filter.events.push_back(pattern);
  }
  if (Status st = require_text("--webhook", options.webhook); !st) return st.error();
  if (Status st = require_text("--patient", options.patient); !st) return st.error();
  filter.webhook = options.webhook;
  filter.patient = options.patient;
  if (options.since) {
    auto bound = parse_time_bound(*options.since, now);
    if (!bound) return option_error("--since", bound.error().message);
    filter.since = *bound;
  }
  if (options.until) {
    auto bound = parse_time_bound(*options.until, now);
    if (!bound) return option_error("--until", bound.error().message);
    filter.until = *bound;
  }
  if (filter.since && filter.until && *filter.since >= *filter.until) {
    return option_error("--until", "must be later than --since");
  }
  if (options.after) {
    if (*options.after < 0) return option_error("--after", "must be a seq, 0 or more");
    filter.after = *options.after;
  }
  filter.limit = options.limit.value_or(default_limit);
  if (filter.limit == 0) return option_error("--limit", "must be at least 1");
  // A backstop: the reader's own rules, should they ever be stricter.
  if (Status st = filter.validate(); !st) return st.error();
  return filter;
}

OutputFormat choose_format(bool table, bool json, bool jsonl, bool stdout_is_terminal) {
  if (json) return OutputFormat::kJson;
  if (jsonl) return OutputFormat::kJsonLines;
  if (table) return OutputFormat::kTable;
  return stdout_is_terminal ? OutputFormat::kTable : OutputFormat::kJsonLines;
}

std::optional<std::int64_t> parse_seq(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t seq = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc{} || end != text.data() + text.size() || seq <= 0) return std::nullopt;
  return seq;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      std::array<char, 5> hex{};
      std::snprintf(hex.data(), hex.size(), "\\x%02x", c);
      out.append(hex.data());
    }
  }
  return out;
}

std::string format_table(const std::vector<StoredEvent>& events, bool header, TableWidths* widths) {
  struct Column {
    std::string_view title;
    bool right;
  };
  constexpr std::array<Column, 7> columns{{{"SEQ", true},
                                           {"RECEIVED_AT", false},
                                           {"WEBHOOK", false},
                                           {"EVENT", false},
                                           {"DELIVERY_ID", false},
                                           {"PATIENT", false},
                                           {"ATTEMPTS", true}}};
  std::vector<std::array<std::string, 7>> cells;
  cells.reserve(events.size());
  for (const StoredEvent& e : events) {
    cells.push_back({std::to_string(e.seq), printable(e.received_at), printable(e.webhook), printable(e.event),
                     printable(e.delivery_id), e.patient_id ? printable(*e.patient_id) : "-",
                     std::to_string(e.attempts)});
  }
  TableWidths width = widths ? *widths : TableWidths{};
  for (std::size_t i = 0; i < columns.size(); ++i) width[i] = std::max(width[i], columns[i].title.size());
  for (const auto& row : cells) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  if (widths) *widths = width;
  std::string out;
  auto line = [&](auto&& cell_at) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += "  ";
      // The last column is right-aligned, so no trailing blanks appear.
      out += pad(cell_at(i), width[i], columns[i].right);
    }
    out += '\n';
  };
  if (header) line([&](std::size_t i) { return columns[i].title; });
  for (const auto& row : cells) line([&](std::size_t i) { return std::string_view(row[i]); });
  return out;
}

std::string format_event_detail(const StoredEvent& e) {
  std::string out;
  auto field = [&](std::string_view name, std::string_view value) {
    out += pad(name, 18, false);
    out += value;
    out += '\n';
  };
  auto optional_field = [&](std::string_view name, const std::optional<std::string>& value) {
    field(name, value ? printable(*value) : "-");
  };
  field("seq", std::to_string(e.seq));
  field("webhook", printable(e.webhook));
  field("delivery_id", printable(e.delivery_id));
  field("event", printable(e.event));
  field("received_at", printable(e.received_at));
  field("last_seen_at", printable(e.last_seen_at));
  field("attempts", std::to_string(e.attempts));
  optional_field("object_id", e.object_id);
  optional_field("patient_id", e.patient_id);
  optional_field("practice_group_id", e.practice_group_id);
  if (e.conflicts_with) field("conflicts_with", std::to_string(*e.conflicts_with));
  out += "payload\n";
  try {
    // Dumping escapes every control character inside strings, so the
    // pretty form is as safe for a terminal as printable().
    out += nlohmann::ordered_json::parse(e.payload).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  } catch (const std::exception&) {
    // Stored payloads were validated as JSON on the way in; if this one is
    // not, show its bytes rather than nothing.
    out += "(not valid JSON; shown as stored)\n" + printable(e.payload) + "\n";
  }
  return out;
}

std::string progress_bar(std::int64_t done, std::int64_t total, std::size_t width) {
  const double fraction =
      total <= 0 ? 1.0 : std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
  const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(width));
  std::string out = "[";
  out.append(filled, '#');
  out.append(width - filled, ' ');
  std::array<char, 64> tail{};
  std::snprintf(tail.data(), tail.size(), "] %3d%%  %lld/%lld events", static_cast<int>(fraction * 100.0),
                static_cast<long long>(done), static_cast<long long>(total));
  return out + tail.data();
}

std::string command_error(std::string_view command, std::string_view message) {
  if (message.starts_with("events: ")) message.remove_prefix(8);
  return "events " + std::string(command) + ": " + std::string(message);
}

std::string export_summary(std::int64_t events, std::int64_t first_seq, std::int64_t last_seq, std::uint64_t bytes,
                           std::chrono::milliseconds elapsed) {
  std::array<char, 160> line{};
  const double seconds = static_cast<double>(elapsed.count()) / 1000.0;
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (events == 0) {
    std::snprintf(line.data(), line.size(), "exported 0 events, 0 bytes in %.1f s", seconds);
  } else {
    std::snprintf(line.data(), line.size(), "exported %lld event%s, seq %lld..%lld, %llu bytes (%.1f MiB) in %.1f s",
                  static_cast<long long>(events), events == 1 ? "" : "s", static_cast<long long>(first_seq),
                  static_cast<long long>(last_seq), static_cast<unsigned long long>(bytes), mib, seconds);
  }
  return line.data();
}

}  // namespace chronohook::app

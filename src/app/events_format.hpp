// The pure half of `chronohook events`: turning command-line text into an
// EventFilter, and events into the text an operator or a script reads.
// Nothing here touches a file, a terminal or the clock it was not given.
// Private to src/app.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chronohook/event_reader.hpp"
#include "chronohook/result.hpp"

namespace chronohook::app {

// The filter options as typed; unset ones were not given.
struct FilterOptions {
  std::vector<std::string> events;  // --event, repeatable
  std::optional<std::string> webhook;
  std::optional<std::string> patient;
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::int64_t> after;
  std::optional<std::size_t> limit;
};

// Checks every option and builds the filter; `limit` falls back to
// `default_limit`. The error names the option (`--since: ...`) so the
// command can print it and exit 2.
Result<EventFilter> build_filter(const FilterOptions& options, std::size_t default_limit,
                                 std::chrono::system_clock::time_point now);

enum class OutputFormat { kTable, kJson, kJsonLines };

// --table, --json, --jsonl as given (at most one is true), else a table on
// a terminal and JSON lines anywhere else: a pipe or a file gets one event
// a line, which every line-oriented tool and script can consume as it comes.
OutputFormat choose_format(bool table, bool json, bool jsonl, bool stdout_is_terminal);

// A seq as `events show` takes it: decimal digits only, 1 to INT64_MAX.
// Anything else is a delivery id.
std::optional<std::int64_t> parse_seq(std::string_view text);

// Text from a payload (a patient id) or a sender made safe for a terminal:
// every byte outside printable ASCII becomes \xNN, so no escape sequence
// reaches the operator's terminal.
std::string printable(std::string_view text);

// The table's columns: seq, received_at, webhook, event, delivery_id,
// patient, attempts. Widths grow to the widest cell, never shrink below the
// header; `header` adds the title line. `widths`, when given, carries the
// widths from one call to the next (tail prints a batch at a time, and its
// columns should only ever grow).
using TableWidths = std::array<std::size_t, 7>;
std::string format_table(const std::vector<StoredEvent>& events, bool header, TableWidths* widths = nullptr);

// One event for a person: a field a line, then the payload pretty-printed
// (keys in the order they were sent).
std::string format_event_detail(const StoredEvent& event);

// `[#########           ]  45%  4500/10000 events`, `width` cells wide;
// a zero total counts as done.
std::string progress_bar(std::int64_t done, std::int64_t total, std::size_t width);

// "events <command>: <message>", without doubling the reader's own
// "events: " prefix.
std::string command_error(std::string_view command, std::string_view message);

// Export's last line: how many events, their seq range, bytes and time.
std::string export_summary(std::int64_t events, std::int64_t first_seq, std::int64_t last_seq, std::uint64_t bytes,
                           std::chrono::milliseconds elapsed);

}  // namespace chronohook::app

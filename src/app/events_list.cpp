// `events list` and `events show`: one read, printed, exit.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "app/commands.hpp"
#include "app/events_cli.hpp"

namespace chronohook::app {

namespace {

// Rows fetched per query, so a large --limit never holds every event in
// memory at once.
constexpr std::size_t kPageSize = 1000;

}  // namespace

int events_list(const std::filesystem::path& db, const EventsArgs& args) {
  auto filter = build_filter(args.filter, 100, std::chrono::system_clock::now());
  if (!filter) {
    std::cerr << command_error("list", filter.error().message) << "\n";
    return kExitConfig;
  }
  const OutputFormat format = choose_format(args.table, args.json, args.jsonl, ::isatty(STDOUT_FILENO) == 1);
  auto reader = EventReader::open(db);
  if (!reader) {
    std::cerr << command_error("list", reader.error().message) << "\n";
    return kExitRuntime;
  }

  std::size_t remaining = filter->limit;
  std::size_t printed = 0;
  EventFilter page = *filter;
  std::string out;
  if (format == OutputFormat::kJson) out = "[";
  while (remaining > 0) {
    page.limit = std::min(remaining, kPageSize);
    auto rows = reader->list(page);
    if (!rows) {
      std::cerr << command_error("list", rows.error().message) << "\n";
      return kExitRuntime;
    }
    switch (format) {
      case OutputFormat::kTable:
        // Each page sizes its own columns; the header comes once.
        out += format_table(*rows, printed == 0);
        break;
      case OutputFormat::kJson:
        for (const StoredEvent& e : *rows) {
          if (printed > 0 || &e != &rows->front()) out += ",\n";
          append_event_json(out, e);
        }
        break;
      case OutputFormat::kJsonLines:
        for (const StoredEvent& e : *rows) {
          append_event_json(out, e);
          out += '\n';
        }
        break;
    }
    printed += rows->size();
    remaining -= rows->size();
    if (rows->size() < page.limit) break;
    page.after = rows->back().seq;
    if (Status st = write_all(STDOUT_FILENO, out); !st) {
      std::cerr << "events list: stdout: " << st.error().message << "\n";
      return kExitRuntime;
    }
    out.clear();
  }
  if (format == OutputFormat::kJson) out += "]\n";
  if (Status st = write_all(STDOUT_FILENO, out); !st) {
    std::cerr << "events list: stdout: " << st.error().message << "\n";
    return kExitRuntime;
  }
  if (printed == 0 && format == OutputFormat::kTable) std::cerr << "no matching events\n";
  return kExitOk;
}

int events_show(const std::filesystem::path& db, const EventsArgs& args) {
  auto reader = EventReader::open(db);
  if (!reader) {
    std::cerr << command_error("show", reader.error().message) << "\n";
    return kExitRuntime;
  }
  const std::string& key = args.show_key;
  std::vector<StoredEvent> found;
  const std::optional<std::int64_t> seq = parse_seq(key);
  if (seq) {
    auto event = reader->by_seq(*seq);
    if (!event) {
      std::cerr << command_error("show", event.error().message) << "\n";
      return kExitRuntime;
    }
    if (*event) found.push_back(std::move(**event));
  }
  // A number that is no seq may still be a delivery id: drchrono does not
  // promise what its ids look like.
  if (found.empty()) {
    auto rows = reader->by_delivery_id(key);
    if (!rows) {
      std::cerr << command_error("show", rows.error().message) << "\n";
      return kExitRuntime;
    }
    found = std::move(*rows);
  }
  if (found.empty()) {
    std::cerr << "events show: no event with " << (seq ? "seq " + key + " or " : std::string()) << "delivery id \""
              << printable(key) << "\"\n";
    return kExitRuntime;
  }

  std::string out;
  for (const StoredEvent& e : found) {
    if (args.json) {
      append_event_json(out, e);
      out += '\n';
    } else {
      if (!out.empty()) out += '\n';
      out += format_event_detail(e);
    }
  }
  if (found.size() > 1) {
    // Said on stderr so --json output stays one event a line.
    std::cerr << "delivery id \"" << printable(key) << "\" matches " << found.size()
              << " events (another webhook, or a delivery that reused the id with another body): showing all\n";
  }
  if (Status st = write_all(STDOUT_FILENO, out); !st) {
    std::cerr << "events show: stdout: " << st.error().message << "\n";
    return kExitRuntime;
  }
  return kExitOk;
}

}  // namespace chronohook::app

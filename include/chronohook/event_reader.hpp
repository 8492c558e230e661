// Reading stored events: the one query path behind `chronohook events`, the
// pull API and retention's look at cursors. A reader owns a read-only
// connection of its own (WAL: it never blocks the writer and sees only
// committed rows); it is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chronohook/result.hpp"
#include "chronohook/sqlite.hpp"

namespace chronohook {

// Which events a listing wants. Every set field narrows it; all together
// are ANDed, the entries of `events` ORed.
struct EventFilter {
  // Exact names (`APPOINTMENT_CREATE`) or prefixes with a trailing `*`
  // (`PATIENT_*`). Letters, digits and `_` only: see validate().
  std::vector<std::string> events;
  std::optional<std::string> webhook;
  std::optional<std::string> patient;
  // received_at bounds, already normalised to the stored form
  // (`2026-11-29T06:57:22.123Z`, see parse_time_bound): since inclusive,
  // until exclusive.
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::int64_t after = 0;  // only seq > after
  std::size_t limit = 100;
  // The newest `limit` matches instead of the oldest (tail), still returned
  // in ascending seq order.
  bool newest = false;

  // Refuses what the query cannot express, naming the field: an event
  // pattern with other characters or a `*` not at the end, a negative
  // `after`, a zero `limit`.
  Status validate() const;
};

// One row of `events` as consumers see it (docs/schema.md).
struct StoredEvent {
  std::int64_t seq = 0;
  std::string webhook;
  std::string delivery_id;
  std::string event;
  std::string received_at;
  std::string last_seen_at;
  std::int64_t attempts = 0;
  std::optional<std::string> object_id;
  std::optional<std::string> patient_id;
  std::optional<std::string> practice_group_id;
  std::optional<std::int64_t> conflicts_with;
  std::string payload;  // the body as received: a JSON object
};

// An event as JSON, the one shape the CLI and the API share: seq, webhook,
// delivery_id, event, received_at, last_seen_at, attempts, object_id,
// patient_id, practice_group_id, conflicts_with, and payload as the JSON
// object itself. The payload's bytes are spliced in as stored (they were
// validated as a JSON object on the way in), never re-parsed. Appends to `out`.
void append_event_json(std::string& out, const StoredEvent& event);
std::string event_json(const StoredEvent& event);

class EventReader {
 public:
  // Opens `path` read-only (SQLITE_OPEN_READONLY, query_only, a short
  // busy_timeout). Works while `serve` writes. Fails with a message naming
  // the file when it is missing or not a chronohook database.
  static Result<EventReader> open(const std::filesystem::path& path);

  // Matching events in ascending seq order, at most filter.limit.
  Result<std::vector<StoredEvent>> list(const EventFilter& filter);
  Result<std::optional<StoredEvent>> by_seq(std::int64_t seq);
  // Every row with this delivery id (several webhooks, or conflicting
  // deliveries), in seq order.
  Result<std::vector<StoredEvent>> by_delivery_id(std::string_view delivery_id);
  // How many events match (ignores limit and newest): export's progress bar.
  Result<std::int64_t> count(const EventFilter& filter);
  // The highest seq stored, 0 when empty.
  Result<std::int64_t> last_seq();
  // A consumer's acknowledged seq from consumer_cursors, if it has one.
  Result<std::optional<std::int64_t>> cursor(std::string_view consumer);

  sqlite::Database& database() { return db_; }

 private:
  explicit EventReader(sqlite::Database db) : db_(std::move(db)) {}
  // Prepared statements by SQL text; declared after db_ so they finalize first.
  Result<sqlite::Statement*> statement(const std::string& sql);
  // Exact names for `patterns`: prefixes become the stored names they match.
  Result<std::vector<std::string>> expand(const std::vector<std::string>& patterns);
  sqlite::Database db_;
  std::unordered_map<std::string, sqlite::Statement> cache_;
};

// A time bound as the CLI and the API take it: RFC 3339 with any offset
// (`2026-11-29T06:57:22Z`, `2026-11-29T08:57:22.5+02:00`), a date
// (`2026-11-29`, midnight UTC), or an age before `now` (`90s`, `15m`, `2h`,
// `7d`). Returns the stored form, UTC with milliseconds, so it compares with
// received_at as text. The error names what was expected.
Result<std::string> parse_time_bound(std::string_view text, std::chrono::system_clock::time_point now);

// An age as retention and the CLI write it: a positive integer and a unit,
// s, m, h or d (`30d`).
Result<std::chrono::seconds> parse_age(std::string_view text);

// UTC, RFC 3339 with milliseconds: the form received_at is stored in.
std::string utc_millis(std::chrono::system_clock::time_point t);

}  // namespace chronohook

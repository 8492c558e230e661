#include "chronohook/event_reader.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace chronohook {
namespace {

constexpr const char* kColumns =
    "SELECT seq, webhook, delivery_id, event, received_at, last_seen_at, attempts, object_id, patient_id, "
    "practice_group_id, conflicts_with, payload FROM events";

std::optional<std::string> optional_text(const sqlite::Statement& s, int i) {
  if (s.column_is_null(i)) return std::nullopt;
  return s.column_text(i);
}

StoredEvent row_of(const sqlite::Statement& s) {
  StoredEvent e;
  e.seq = s.column_int(0);
  e.webhook = s.column_text(1);
  e.delivery_id = s.column_text(2);
  e.event = s.column_text(3);
  e.received_at = s.column_text(4);
  e.last_seen_at = s.column_text(5);
  e.attempts = s.column_int(6);
  e.object_id = optional_text(s, 7);
  e.patient_id = optional_text(s, 8);
  e.practice_group_id = optional_text(s, 9);
  if (!s.column_is_null(10)) e.conflicts_with = s.column_int(10);
  e.payload = s.column_text(11);
  return e;
}

Result<std::vector<StoredEvent>> collect(sqlite::Statement& stmt) {
  std::vector<StoredEvent> rows;
  for (;;) {
    auto step = stmt.step();
    if (!step) {
      stmt.reset();
      return Error{"cannot read events: " + step.error().message};
    }
    if (*step == sqlite::Statement::Step::kDone) break;
    rows.push_back(row_of(stmt));
  }
  stmt.reset();
  return rows;
}

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// The WHERE clause for `filter` and the values its ?N placeholders take, in
// order. Only the structure is text; every value is bound.
struct Where {
  std::string sql;
  std::vector<std::string> texts;  // bound from ?2 on; ?1 is `after`
};

// `events` holds exact names only (prefixes already expanded) unless
// `index_events` is false, when they are matched row by row.
// Appends the next clause to `w`: its values continue `w`'s numbering, so
// the arms of a UNION ALL can share one statement.
void add_where(Where& w, const EventFilter& f, const std::vector<std::string>& events, bool use_event_index) {
  w.sql += " WHERE seq > ?1";
  auto param = [&w](std::string value) {
    w.texts.push_back(std::move(value));
    return "?" + std::to_string(w.texts.size() + 1);
  };
  if (f.webhook) w.sql += " AND webhook = " + param(*f.webhook);
  if (f.patient) w.sql += " AND patient_id = " + param(*f.patient);
  if (f.since) w.sql += " AND received_at >= " + param(*f.since);
  if (f.until) w.sql += " AND received_at < " + param(*f.until);
  if (!events.empty()) {
    // Unary + keeps SQLite from choosing the event index over the patient
    // index: a patient's rows are few and already in seq order.
    const std::string column = use_event_index ? "event" : "+event";
    std::string any;
    for (const std::string& e : events) any += (any.empty() ? "" : ", ") + param(e);
    w.sql += " AND " + column + " IN (" + any + ")";
  }
}

Where where_of(const EventFilter& f, const std::vector<std::string>& events, bool use_event_index) {
  Where w;
  add_where(w, f, events, use_event_index);
  return w;
}

void bind_where(sqlite::Statement& stmt, const EventFilter& f, const Where& w) {
  stmt.bind(1, f.after);
  for (std::size_t i = 0; i < w.texts.size(); ++i) stmt.bind(static_cast<int>(i + 2), w.texts[i]);
}

}  // namespace

Status EventFilter::validate() const {
  for (const std::string& e : events) {
    const std::size_t stem = !e.empty() && e.back() == '*' ? e.size() - 1 : e.size();
    const bool ok = !e.empty() && std::all_of(e.begin(), e.begin() + static_cast<std::ptrdiff_t>(stem), name_char);
    if (!ok || (stem == 0 && e.size() != 1)) {
      return Error{
          "event: expected an event name of letters, digits and _ (APPOINTMENT_CREATE), optionally ending "
          "in * for a prefix (PATIENT_*)"};
    }
  }
  if (after < 0) return Error{"after: expected a seq of 0 or more"};
  if (limit == 0) return Error{"limit: expected 1 or more"};
  if (webhook && webhook->empty()) return Error{"webhook: expected a [[webhook]] name"};
  if (patient && patient->empty()) return Error{"patient: expected a patient id"};
  return Status::Ok();
}

Result<EventReader> EventReader::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error{"events: no database at " + path.string() +
                 ": check [storage] path, or start serve once to create it"};
  }
  auto db = sqlite::Database::open(path, sqlite::Database::Mode::kReadOnly);
  if (!db) return Error{"events: " + db.error().message};
  if (auto st = db->exec("PRAGMA busy_timeout = 2000; PRAGMA query_only = ON;"); !st) {
    return Error{"events: cannot configure the connection to " + path.string() + ": " + st.error().message};
  }
  auto probe = db->prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'");
  if (!probe) return Error{"events: " + path.string() + ": " + probe.error().message};
  auto step = probe->step();
  if (!step) return Error{"events: cannot read " + path.string() + ": " + step.error().message};
  if (*step != sqlite::Statement::Step::kRow) {
    return Error{"events: " + path.string() + " holds no events table: is it a chronohook database?"};
  }
  return EventReader(std::move(*db));
}

Result<sqlite::Statement*> EventReader::statement(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return &it->second;
  // A handful of filter shapes recur (the API's, a script's): keep them
  // prepared, but never let odd combinations grow the cache without bound.
  if (cache_.size() >= 32) cache_.clear();
  auto stmt = db_.prepare(sql);
  if (!stmt) return Error{"cannot prepare a query: " + stmt.error().message};
  return &cache_.emplace(sql, std::move(*stmt)).first->second;
}

Result<std::vector<std::string>> EventReader::expand(const std::vector<std::string>& patterns) {
  std::vector<std::string> names;
  for (const std::string& p : patterns) {
    if (p.empty() || p.back() != '*') {
      names.push_back(p);
      continue;
    }
    // A prefix becomes the names the table holds with it, found by hopping
    // through the event index (one seek per distinct name, a few dozen at
    // most), so each name's rows come from the index in seq order.
    std::string prefix = p.substr(0, p.size() - 1);
    std::string upper = prefix;
    if (upper.empty()) {
      upper = "\x7f";
    } else {
      upper.back() = static_cast<char>(upper.back() + 1);
    }
    // One statement for every hop: holding two from the cache at once could
    // see the first finalized when fetching the second clears the cache.
    auto next = statement("SELECT event FROM events WHERE event >= ?1 AND event < ?2 ORDER BY event LIMIT 1");
    if (!next) return next.error();
    std::string from = prefix;
    for (std::size_t guard = 0; guard < 10'000; ++guard) {
      (*next)->bind(1, from).bind(2, upper);
      auto step = (*next)->step();
      if (!step) {
        (*next)->reset();
        return Error{"cannot read event names: " + step.error().message};
      }
      if (*step == sqlite::Statement::Step::kDone) {
        (*next)->reset();
        break;
      }
      std::string found = (*next)->column_text(0);
      (*next)->reset();
      // The smallest text after `found` that is not `found` itself (stored
      // names are printable, so no name holds a byte below 0x01).
      from = found + '\x01';
      names.push_back(std::move(found));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<std::vector<StoredEvent>> EventReader::list(const EventFilter& filter) {
  if (auto st = filter.validate(); !st) return st.error();
  std::vector<std::string> names;
  if (!filter.events.empty()) {
    auto expanded = expand(filter.events);
    if (!expanded) return expanded.error();
    if (expanded->empty()) return std::vector<StoredEvent>{};  // no such event stored
    names = std::move(*expanded);
  }
  const std::string order = filter.newest ? " ORDER BY seq DESC LIMIT " : " ORDER BY seq LIMIT ";
  const std::string limit = std::to_string(filter.limit);
  std::string sql;
  Where w;
  if (names.size() <= 1 || filter.patient) {
    w = where_of(filter, names, !filter.patient);
    sql = std::string(kColumns) + w.sql + order + limit;
  } else {
    // Several names without a patient: one arm per name, each read from the
    // event index already in seq order, merged by SQLite (MERGE UNION ALL)
    // instead of sorting every match after the cursor.
    for (const std::string& name : names) {
      if (!w.sql.empty()) w.sql += " UNION ALL ";
      w.sql += kColumns;
      add_where(w, filter, std::vector<std::string>{name}, true);
    }
    sql = w.sql;
    sql += order + limit;
  }
  auto stmt = statement(sql);
  if (!stmt) return stmt.error();
  bind_where(**stmt, filter, w);
  auto rows = collect(**stmt);
  if (rows && filter.newest) std::reverse(rows->begin(), rows->end());
  return rows;
}

Result<std::int64_t> EventReader::count(const EventFilter& filter) {
  if (auto st = filter.validate(); !st) return st.error();
  std::vector<std::string> names;
  if (!filter.events.empty()) {
    auto expanded = expand(filter.events);
    if (!expanded) return expanded.error();
    if (expanded->empty()) return std::int64_t{0};
    names = std::move(*expanded);
  }
  const Where w = where_of(filter, names, !filter.patient);
  auto stmt = statement("SELECT count(*) FROM events" + w.sql);
  if (!stmt) return stmt.error();
  bind_where(**stmt, filter, w);
  auto step = (*stmt)->step();
  if (!step) {
    (*stmt)->reset();
    return Error{"cannot count events: " + step.error().message};
  }
  const std::int64_t n = (*stmt)->column_int(0);
  (*stmt)->reset();
  return n;
}

Result<std::optional<StoredEvent>> EventReader::by_seq(std::int64_t seq) {
  auto stmt = statement(std::string(kColumns) + " WHERE seq = ?1");
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, seq);
  auto rows = collect(**stmt);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<StoredEvent>{};
  return std::optional<StoredEvent>(std::move(rows->front()));
}

Result<std::vector<StoredEvent>> EventReader::by_delivery_id(std::string_view delivery_id) {
  // Answered by the delivery indexes' leading column... they lead with
  // webhook, so this scans; show is an operator's one-off, not a hot path.
  auto stmt = statement(std::string(kColumns) + " WHERE delivery_id = ?1 ORDER BY seq");
  if (!stmt) return stmt.error();
  const std::string id(delivery_id);
  (*stmt)->bind(1, id);
  return collect(**stmt);
}

Result<std::int64_t> EventReader::last_seq() {
  auto stmt = statement("SELECT coalesce(max(seq), 0) FROM events");
  if (!stmt) return stmt.error();
  auto step = (*stmt)->step();
  if (!step) {
    (*stmt)->reset();
    return Error{"cannot read the last seq: " + step.error().message};
  }
  const std::int64_t seq = (*stmt)->column_int(0);
  (*stmt)->reset();
  return seq;
}

Result<std::optional<std::int64_t>> EventReader::cursor(std::string_view consumer) {
  auto stmt = statement("SELECT seq FROM consumer_cursors WHERE consumer = ?1");
  if (!stmt) return stmt.error();
  const std::string name(consumer);
  (*stmt)->bind(1, name);
  auto step = (*stmt)->step();
  if (!step) {
    (*stmt)->reset();
    return Error{"cannot read the cursor: " + step.error().message};
  }
  std::optional<std::int64_t> seq;
  if (*step == sqlite::Statement::Step::kRow) seq = (*stmt)->column_int(0);
  (*stmt)->reset();
  return seq;
}

}  // namespace chronohook

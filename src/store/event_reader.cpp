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

Where where_of(const EventFilter& f) {
  Where w;
  w.sql = " WHERE seq > ?1";
  auto param = [&w](std::string value) {
    w.texts.push_back(std::move(value));
    return "?" + std::to_string(w.texts.size() + 1);
  };
  if (f.webhook) w.sql += " AND webhook = " + param(*f.webhook);
  if (f.patient) w.sql += " AND patient_id = " + param(*f.patient);
  if (f.since) w.sql += " AND received_at >= " + param(*f.since);
  if (f.until) w.sql += " AND received_at < " + param(*f.until);
  if (!f.events.empty()) {
    std::string any;
    for (const std::string& e : f.events) {
      if (!any.empty()) any += " OR ";
      if (e.empty() || e.back() != '*') {
        any += "event = " + param(e);
        continue;
      }
      // A prefix as a range, so the events_event index answers it: every
      // name starting with PATIENT_ sorts at or after "PATIENT_" and before
      // "PATIENT`" (the character after '_').
      std::string prefix = e.substr(0, e.size() - 1);
      if (prefix.empty()) {
        any += "1";
        continue;
      }
      std::string upper = prefix;
      upper.back() = static_cast<char>(upper.back() + 1);
      any += "(event >= " + param(prefix);
      any += " AND event < " + param(upper) + ")";
    }
    w.sql += " AND (" + any + ")";
  }
  return w;
}

void bind_where(sqlite::Statement& stmt, const EventFilter& f, const Where& w) {
  stmt.bind(1, f.after);
  for (std::size_t i = 0; i < w.texts.size(); ++i) stmt.bind(static_cast<int>(i + 2), w.texts[i]);
}

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

Result<std::vector<StoredEvent>> EventReader::list(const EventFilter& filter) {
  if (auto st = filter.validate(); !st) return st.error();
  const Where w = where_of(filter);
  const std::string limit = " LIMIT " + std::to_string(filter.limit);
  auto stmt =
      statement(std::string(kColumns) + w.sql + (filter.newest ? " ORDER BY seq DESC" : " ORDER BY seq") + limit);
  if (!stmt) return stmt.error();
  bind_where(**stmt, filter, w);
  auto rows = collect(**stmt);
  if (rows && filter.newest) std::reverse(rows->begin(), rows->end());
  return rows;
}

Result<std::int64_t> EventReader::count(const EventFilter& filter) {
  if (auto st = filter.validate(); !st) return st.error();
  const Where w = where_of(filter);
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

#include "admin/cursor_task.hpp"

#include <chrono>
#include <utility>

#include "chronohook/event_reader.hpp"

namespace chronohook::admin {
namespace {

// sqlite_sequence keeps AUTOINCREMENT's high-water mark, which retention
// never lowers: a seq above it names no event that ever existed.
constexpr const char* kNewestEver = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)";
constexpr const char* kCurrent = "SELECT seq FROM consumer_cursors WHERE consumer = ?1";
constexpr const char* kUpsert =
    "INSERT INTO consumer_cursors (consumer, seq, updated_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at";

Result<std::int64_t> single_int(sqlite::Database& db, const char* sql, const std::string* bind, std::int64_t absent) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.error();
  if (bind != nullptr) stmt->bind(1, *bind);
  auto step = stmt->step();
  if (!step) return step.error();
  return *step == sqlite::Statement::Step::kRow ? stmt->column_int(0) : absent;
}

}  // namespace

EventStore::Task cursor_task(std::string consumer, std::int64_t seq, bool rewind, std::shared_ptr<CursorWrite> out) {
  return [consumer = std::move(consumer), seq, rewind, out = std::move(out)](sqlite::Database& db) -> Status {
    auto current = single_int(db, kCurrent, &consumer, 0);
    if (!current) return current.error();
    if (seq < *current && !rewind) {
      out->kind = CursorWrite::Kind::kBackwards;
      out->current = *current;
      return Status::Ok();
    }
    auto newest = single_int(db, kNewestEver, nullptr, 0);
    if (!newest) return newest.error();
    if (seq > *newest) {
      out->kind = CursorWrite::Kind::kPastEnd;
      out->current = *newest;
      return Status::Ok();
    }
    auto upsert = db.prepare(kUpsert);
    if (!upsert) return upsert.error();
    const std::string now = utc_millis(std::chrono::system_clock::now());
    upsert->bind(1, consumer).bind(2, seq).bind(3, now);
    if (auto step = upsert->step(); !step) return step.error();
    out->kind = CursorWrite::Kind::kWritten;
    out->current = seq;
    return Status::Ok();
  };
}

}  // namespace chronohook::admin

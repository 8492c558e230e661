#include "support/db.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace chronohook::testing {
namespace {

sqlite3* open_db(const std::filesystem::path& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw std::runtime_error("db: cannot open " + path.string() + ": " + why);
  }
  // Readers never wait in WAL mode, but opening may briefly need a lock
  // while the daemon checkpoints.
  sqlite3_busy_timeout(db, 5000);
  return db;
}

}  // namespace

ReadOnlyDb::ReadOnlyDb(const std::filesystem::path& path) : db_(open_db(path, SQLITE_OPEN_READONLY)) {}

ReadOnlyDb::~ReadOnlyDb() {
  sqlite3_close(db_);
}

std::vector<Row> ReadOnlyDb::query(std::string_view sql, const std::vector<std::string>& params) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error("db: prepare \"" + std::string(sql) + "\": " + sqlite3_errmsg(db_));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].data(), static_cast<int>(params[i].size()),
                      SQLITE_TRANSIENT);
  }
  std::vector<Row> rows;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const char* name = sqlite3_column_name(stmt, c);
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        row[name] = std::nullopt;
        continue;
      }
      // column_blob then column_bytes: the stored bytes exactly, NULs included.
      const void* data = sqlite3_column_blob(stmt, c);
      const int size = sqlite3_column_bytes(stmt, c);
      row[name] = std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
    }
    rows.push_back(std::move(row));
  }
  const std::string why = sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) throw std::runtime_error("db: step \"" + std::string(sql) + "\": " + why);
  return rows;
}

std::int64_t ReadOnlyDb::count(std::string_view sql, const std::vector<std::string>& params) {
  auto rows = query(sql, params);
  if (rows.size() != 1 || rows[0].size() != 1 || !rows[0].begin()->second) {
    throw std::runtime_error("db: \"" + std::string(sql) + "\" did not return one integer");
  }
  return std::stoll(*rows[0].begin()->second);
}

std::vector<Row> all_events(const std::filesystem::path& db) {
  return ReadOnlyDb(db).query("SELECT * FROM events ORDER BY seq");
}

std::int64_t count_events(const std::filesystem::path& db) {
  return ReadOnlyDb(db).count("SELECT COUNT(*) FROM events");
}

std::optional<Row> event_for(const std::filesystem::path& db, std::string_view webhook, std::string_view delivery_id) {
  auto rows = ReadOnlyDb(db).query("SELECT * FROM events WHERE webhook = ?1 AND delivery_id = ?2 ORDER BY seq",
                                   {std::string(webhook), std::string(delivery_id)});
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

WriteLock::WriteLock(const std::filesystem::path& db) : db_(open_db(db, SQLITE_OPEN_READWRITE)) {
  // The daemon may be mid-commit when the lock is taken: wait for it briefly.
  sqlite3_busy_timeout(db_, 2000);
  char* err = nullptr;
  if (sqlite3_exec(db_, "BEGIN EXCLUSIVE", nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    sqlite3_close(db_);
    throw std::runtime_error("db: BEGIN EXCLUSIVE failed: " + why);
  }
  held_ = true;
}

WriteLock::~WriteLock() {
  release();
  sqlite3_close(db_);
}

void WriteLock::release() {
  if (!held_) return;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  held_ = false;
}

}  // namespace chronohook::testing

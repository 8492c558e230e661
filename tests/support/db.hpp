// Reading the daemon's SQLite file the way a downstream consumer would: with
// SQL, through the C API, read-only. And, for the store-failure tests, a
// second writer that holds the database's write lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace chronohook::testing {

// Column name -> value as text (the exact stored bytes); nullopt for NULL.
using Row = std::map<std::string, std::optional<std::string>>;

class ReadOnlyDb {
 public:
  // Throws std::runtime_error when the file cannot be opened.
  explicit ReadOnlyDb(const std::filesystem::path& path);
  ~ReadOnlyDb();
  ReadOnlyDb(const ReadOnlyDb&) = delete;
  ReadOnlyDb& operator=(const ReadOnlyDb&) = delete;

  // Runs `sql` with `params` bound as text to ?1, ?2, ...
  std::vector<Row> query(std::string_view sql, const std::vector<std::string>& params = {});
  std::int64_t count(std::string_view sql_returning_one_integer, const std::vector<std::string>& params = {});

 private:
  sqlite3* db_ = nullptr;
};

// Every row of `events`, in seq order.
std::vector<Row> all_events(const std::filesystem::path& db);
std::int64_t count_events(const std::filesystem::path& db);
// The first row for (webhook, delivery_id), if any (later ones, with another
// body, carry conflicts_with).
std::optional<Row> event_for(const std::filesystem::path& db, std::string_view webhook, std::string_view delivery_id);

// Another process's write transaction, as far as the daemon can tell: holds
// BEGIN EXCLUSIVE until release() or destruction. Root ignores file modes,
// so this lock is how the suite makes the store fail.
class WriteLock {
 public:
  explicit WriteLock(const std::filesystem::path& db);
  ~WriteLock();
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

  void release();

 private:
  sqlite3* db_ = nullptr;
  bool held_ = false;
};

}  // namespace chronohook::testing

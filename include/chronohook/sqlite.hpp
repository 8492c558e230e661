// Thin RAII over the SQLite C API. Errors come back as values whose messages
// name the operation and SQLite's reason, never bound values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chronohook/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace chronohook::sqlite {

class Statement;

// A file whose permission bits prepare_database_file() changed.
struct ModeChange {
  std::filesystem::path file;
  unsigned from = 0;
  unsigned to = 0;
};

// Creates the database file when missing (owner-only first, then `file_mode`;
// a missing parent directory is created 0700, or 0750 when the group may
// read), and sets the file and any -wal/-shm beside it to exactly
// `file_mode`, tightening or widening. Returns what it changed, for the
// caller to report.
Result<std::vector<ModeChange>> prepare_database_file(const std::filesystem::path& path, unsigned file_mode);

// "0640": permission bits the way chmod and the config spell them.
std::string octal_mode(unsigned mode);

class Database {
 public:
  enum class Mode { kReadWriteCreate, kReadWrite, kReadOnly };

  // Opens the database file. kReadWriteCreate first runs
  // prepare_database_file(path, 0600); callers with another mode run it
  // themselves and open with kReadWrite.
  static Result<Database> open(const std::filesystem::path& path, Mode mode);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows.
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);

  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  sqlite3* handle() const { return db_; }
  // SQLite's message for the last error on this connection.
  std::string last_error() const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds are 1-based like SQLite's. Text is copied only if SQLite must keep
  // it beyond the next step (SQLITE_TRANSIENT is not used: callers keep the
  // bytes alive until reset()).
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_optional(int index, const std::optional<std::string>& text);
  Statement& bind_null(int index);
  Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);

  enum class Step { kRow, kDone };
  Result<Step> step();
  // Clears bindings and readies the statement for another run.
  void reset();

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace chronohook::sqlite

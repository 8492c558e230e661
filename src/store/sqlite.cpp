#include "chronohook/sqlite.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace chronohook::sqlite {

std::string octal_mode(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

Result<std::vector<ModeChange>> prepare_database_file(const std::filesystem::path& path, unsigned file_mode) {
  std::error_code ec;
  const auto dir = path.parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error{"cannot create directory " + dir.string() + ": " + ec.message()};
    // Whoever may read the file may enter its directory, and no one else.
    ::chmod(dir.c_str(), (file_mode & 040) != 0 ? 0750 : 0700);
  }
  // Created owner-only before SQLite sees it, so it is never looser than asked
  // even for an instant, then set to the mode asked.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"cannot open " + path.string() + ": " + std::strerror(errno)};
  std::vector<ModeChange> changes;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 0777) != file_mode) {
    if (::fchmod(fd, file_mode) != 0) {
      const int err = errno;
      ::close(fd);
      return Error{"cannot set the mode of " + path.string() + ": " + std::strerror(err)};
    }
    changes.push_back(ModeChange{path, st.st_mode & 0777, file_mode});
  }
  ::close(fd);
  // SQLite gives a -wal or -shm it creates the database file's mode, but one
  // left by an earlier run keeps its own.
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::filesystem::path side = path.string() + suffix;
    if (::stat(side.c_str(), &st) != 0 || (st.st_mode & 0777) == file_mode) continue;
    if (::chmod(side.c_str(), file_mode) != 0) {
      return Error{"cannot set the mode of " + side.string() + ": " + std::strerror(errno)};
    }
    changes.push_back(ModeChange{side, st.st_mode & 0777, file_mode});
  }
  return changes;
}

Result<Database> Database::open(const std::filesystem::path& path, Mode mode) {
  // Each connection is used by one thread at a time (the writer owns its own).
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case Mode::kReadWriteCreate: {
      if (auto prepared = prepare_database_file(path, 0600); !prepared) return prepared.error();
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    }
    case Mode::kReadWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case Mode::kReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error{"cannot open database " + path.string() + ": " + why};
  }
  sqlite3_extended_result_codes(db, 1);
  return Database(db);
}

Database::Database(Database&& other) noexcept : db_(other.db_) {
  other.db_ = nullptr;
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = other.db_;
    other.db_ = nullptr;
  }
  return *this;
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

Status Database::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : last_error();
    sqlite3_free(err);
    return Error{why};
  }
  return Status::Ok();
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    return Error{"cannot prepare statement: " + last_error()};
  }
  return Statement(db_, stmt);
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

std::string Database::last_error() const {
  return db_ ? sqlite3_errmsg(db_) : "no database";
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind_optional(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  return *this;
}

Result<Statement::Step> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return Step::kRow;
  if (rc == SQLITE_DONE) return Step::kDone;
  return Error{sqlite3_errmsg(db_)};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string Statement::column_text(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))) : std::string{};
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

}  // namespace chronohook::sqlite

#include "chronohook/migrations.hpp"

#include <sqlite3.h>

#include <map>

#include "chronohook/crypto.hpp"

namespace chronohook {
namespace {

constexpr const char* kLedger = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  checksum   TEXT    NOT NULL,
  applied_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
)sql";

// chronohook_sha256(x): the SHA-256 of x's bytes as a 32-byte blob, NULL for
// NULL. Migrations use it to fill payload_sha256 for rows stored before the
// column existed; it exists only on connections that migrate.
void sha256_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  // blob() before bytes(): SQLite's rule for reading a value's exact bytes.
  const auto* data = static_cast<const char*>(sqlite3_value_blob(argv[0]));
  const auto size = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
  const crypto::Digest d = crypto::sha256(std::string_view(data == nullptr ? "" : data, data == nullptr ? 0 : size));
  sqlite3_result_blob(ctx, d.data(), static_cast<int>(d.size()), SQLITE_TRANSIENT);
}

Status register_functions(sqlite::Database& db) {
  const int rc = sqlite3_create_function_v2(db.handle(), "chronohook_sha256", 1,
                                            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                            &sha256_function, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error{"cannot register chronohook_sha256: " + db.last_error()};
  return Status::Ok();
}

std::string checksum_of(const Migration& m) {
  const auto d = crypto::sha256(m.sql);
  return crypto::to_hex(d.data(), d.size());
}

Status record(sqlite::Database& db, const Migration& m) {
  auto ins = db.prepare("INSERT INTO schema_migrations(version, name, checksum) VALUES (?1, ?2, ?3)");
  if (!ins) return ins.error();
  const std::string sum = checksum_of(m);
  ins->bind(1, static_cast<std::int64_t>(m.version)).bind(2, m.name).bind(3, sum);
  if (auto step = ins->step(); !step) return step.error();
  return Status::Ok();
}

bool runs_outside_a_transaction(const Migration& m) {
  return m.sql.starts_with(kNoTransactionMarker);
}

// VACUUM and some PRAGMAs refuse to run inside a transaction, so such a
// migration runs statement by statement and is recorded afterwards. A crash
// in between runs it again at the next start: it must be idempotent.
Status apply_outside_a_transaction(sqlite::Database& db, const Migration& m) {
  if (auto st = db.exec(m.sql); !st) {
    return Error{"migrations: " + m.name + " failed (it runs outside a transaction, so what it did before the " +
                 "failure stays; it is not recorded and runs again at the next start): " + st.error().message};
  }
  if (auto st = record(db, m); !st) {
    return Error{"migrations: " + m.name + " ran but could not be recorded: " + st.error().message};
  }
  // A VACUUM in WAL mode leaves a copy of the whole database in the WAL:
  // give that space back now rather than at the receiver's first checkpoint.
  (void)db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return Status::Ok();
}

}  // namespace

Result<MigrationReport> migrate(sqlite::Database& db, const std::vector<Migration>& migrations) {
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) {
      return Error{"migrations: " + migrations[i].name + " does not come after " + migrations[i - 1].name +
                   ": versions must be strictly increasing"};
    }
  }
  if (auto st = register_functions(db); !st) return Error{"migrations: " + st.error().message};
  if (auto st = db.exec(kLedger); !st) {
    return Error{"migrations: cannot create the schema_migrations table: " + st.error().message};
  }

  std::map<int, std::pair<std::string, std::string>> applied;  // version -> (name, checksum)
  {
    auto stmt = db.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    if (!stmt) return Error{"migrations: " + stmt.error().message};
    for (;;) {
      auto step = stmt->step();
      if (!step) return Error{"migrations: cannot read schema_migrations: " + step.error().message};
      if (*step == sqlite::Statement::Step::kDone) break;
      applied[static_cast<int>(stmt->column_int(0))] = {stmt->column_text(1), stmt->column_text(2)};
    }
  }

  std::map<int, const Migration*> known;
  for (const Migration& m : migrations) known[m.version] = &m;
  for (const auto& [version, entry] : applied) {
    const auto it = known.find(version);
    if (it == known.end()) {
      return Error{"migrations: the database has migration " + std::to_string(version) + " (" + entry.first +
                   ") which this binary does not know: it was written by a newer chronohook; run that version"};
    }
    if (checksum_of(*it->second) != entry.second) {
      return Error{"migrations: " + it->second->name +
                   " was changed after it was applied to this database; restore the original file and add a "
                   "new migration instead"};
    }
  }

  MigrationReport report;
  for (const Migration& m : migrations) {
    if (applied.count(m.version) != 0) continue;
    if (runs_outside_a_transaction(m)) {
      if (auto st = apply_outside_a_transaction(db, m); !st) return st.error();
      report.applied.push_back(m.name);
      continue;
    }
    if (auto st = db.exec("BEGIN IMMEDIATE"); !st) {
      return Error{"migrations: cannot start a transaction for " + m.name + ": " + st.error().message};
    }
    Status st = db.exec(m.sql);
    if (st) st = record(db, m);
    if (st) st = db.exec("COMMIT");
    if (!st) {
      (void)db.exec("ROLLBACK");
      return Error{"migrations: " + m.name + " failed and was rolled back: " + st.error().message};
    }
    report.applied.push_back(m.name);
  }
  report.schema_version = migrations.empty() ? 0 : migrations.back().version;
  if (!applied.empty()) report.schema_version = std::max(report.schema_version, applied.rbegin()->first);
  return report;
}

}  // namespace chronohook

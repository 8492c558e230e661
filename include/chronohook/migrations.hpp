// Schema migrations: numbered .sql files from migrations/, embedded into the
// binary at build time, applied in order, each inside its own transaction
// (unless marked, see kNoTransactionMarker), and recorded with a SHA-256
// checksum so an edited old migration is refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chronohook/result.hpp"
#include "chronohook/sqlite.hpp"

namespace chronohook {

// A migration whose first line is this runs outside a transaction (VACUUM,
// PRAGMA auto_vacuum), statement by statement, and is recorded after it
// succeeds; it must be safe to run twice. Checksums cover it like any line.
inline constexpr std::string_view kNoTransactionMarker = "-- chronohook: no-transaction\n";

struct Migration {
  int version = 0;   // from the file name: 0001_events.sql is 1
  std::string name;  // the file name
  std::string sql;
};

// The migrations compiled into this binary, in version order.
const std::vector<Migration>& embedded_migrations();

struct MigrationReport {
  std::vector<std::string> applied;  // file names applied by this call
  int schema_version = 0;            // highest version now in the database
};

// Brings `db` up to date with `migrations`. Refuses (and changes nothing) when
// an applied migration's checksum differs from the embedded one, when the
// database holds a version this binary does not know, or when versions are
// not strictly increasing.
Result<MigrationReport> migrate(sqlite::Database& db, const std::vector<Migration>& migrations);

}  // namespace chronohook

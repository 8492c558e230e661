#include <gtest/gtest.h>

#include <fstream>

#include "chronohook/crypto.hpp"
#include "chronohook/migrations.hpp"
#include "unit/temp_dir.hpp"

namespace chronohook {
namespace {

using unit::TempDir;

sqlite::Database open_db(const TempDir& dir) {
  auto db = sqlite::Database::open(dir / "events.db", sqlite::Database::Mode::kReadWriteCreate);
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
  return std::move(db).value();
}

std::vector<std::string> columns_of(sqlite::Database& db, const std::string& table) {
  std::vector<std::string> names;
  auto stmt = db.prepare("SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
  EXPECT_TRUE(stmt.ok());
  while (stmt.ok()) {
    auto step = stmt->step();
    if (!step || *step == sqlite::Statement::Step::kDone) break;
    names.push_back(stmt->column_text(0));
  }
  return names;
}

std::int64_t count(sqlite::Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.ok());
  auto step = stmt->step();
  EXPECT_TRUE(step.ok() && *step == sqlite::Statement::Step::kRow);
  return stmt->column_int(0);
}

TEST(Migrations, AFreshDatabaseGetsTheEventsTableWithTheContractColumns) {
  TempDir dir;
  auto db = open_db(dir);
  auto report = migrate(db, embedded_migrations());
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_FALSE(report->applied.empty());
  EXPECT_EQ(report->applied.front(), "0001_events.sql");
  const std::vector<std::string> expected = {
      "seq",        "webhook",           "delivery_id", "event",        "received_at",    "payload",       "object_id",
      "patient_id", "practice_group_id", "attempts",    "last_seen_at", "payload_sha256", "conflicts_with"};
  EXPECT_EQ(columns_of(db, "events"), expected);
}

TEST(Migrations, AVersion1DatabaseWithRowsKeepsItsSeqsAndGetsEveryPayloadHashed) {
  TempDir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(migrate(db, {embedded_migrations().front()}).ok());
  ASSERT_TRUE(db.exec("INSERT INTO events(webhook, delivery_id, event, received_at, payload, attempts, last_seen_at) "
                      "VALUES ('main', 'd1', 'PING', 't1', '{\"a\":1}', 3, 't2'),"
                      "       ('main', 'd2', 'PING', 't1', '{\"a\":2}', 1, 't1'),"
                      "       ('main', 'd3', 'PING', 't1', '{\"a\":3}', 1, 't1');"
                      "DELETE FROM events WHERE delivery_id IN ('d1', 'd3');")
                  .ok());

  auto report = migrate(db, embedded_migrations());
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->applied.front(), "0002_payload_hash.sql");
  EXPECT_EQ(count(db, "SELECT seq FROM events WHERE delivery_id = 'd2'"), 2);
  EXPECT_EQ(count(db, "SELECT count(*) FROM events WHERE conflicts_with IS NULL AND attempts = 1"), 1);
  // The hash is SHA-256 of the payload's bytes, as the receiver computes it.
  const auto d = crypto::sha256(R"({"a":2})");
  EXPECT_EQ(count(db, "SELECT count(*) FROM events WHERE lower(hex(payload_sha256)) = '" +
                          crypto::to_hex(d.data(), d.size()) + "'"),
            1);
  // AUTOINCREMENT's high-water mark survived the rebuild: 3 is never handed out again.
  ASSERT_TRUE(db.exec("INSERT INTO events(webhook, delivery_id, event, received_at, payload, last_seen_at, "
                      "payload_sha256) VALUES ('main', 'd4', 'PING', 't', '{}', 't', zeroblob(32))")
                  .ok());
  EXPECT_EQ(count(db, "SELECT seq FROM events WHERE delivery_id = 'd4'"), 4);
  // The old uniqueness holds for first rows, through the new partial index.
  EXPECT_FALSE(db.exec("INSERT INTO events(webhook, delivery_id, event, received_at, payload, last_seen_at, "
                       "payload_sha256) VALUES ('main', 'd2', 'PING', 't', '{}', 't', zeroblob(32))")
                   .ok());
}

TEST(Migrations, TheMigratedTableNeedsNoChronohookFunctionToBeWritten) {
  TempDir dir;
  {
    auto db = open_db(dir);
    ASSERT_TRUE(migrate(db, embedded_migrations()).ok());
  }
  // A fresh connection, as a consumer's sqlite3 shell would have.
  auto db = open_db(dir);
  EXPECT_TRUE(db.exec("INSERT INTO events(webhook, delivery_id, event, received_at, payload, last_seen_at, "
                      "payload_sha256) VALUES ('main', 'd1', 'PING', 't', '{}', 't', zeroblob(32))")
                  .ok());
}

TEST(Migrations, ARerunAppliesNothingAndKeepsTheData) {
  TempDir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(migrate(db, embedded_migrations()).ok());
  ASSERT_TRUE(db.exec("INSERT INTO events(webhook, delivery_id, event, received_at, payload, last_seen_at, "
                      "payload_sha256) VALUES ('main', 'd1', 'PING', 't', '{}', 't', zeroblob(32))")
                  .ok());
  auto again = migrate(db, embedded_migrations());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(count(db, "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(count(db, "SELECT count(*) FROM schema_migrations"),
            static_cast<std::int64_t>(embedded_migrations().size()));
}

TEST(Migrations, AnEditedAppliedMigrationIsRefused) {
  TempDir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(migrate(db, embedded_migrations()).ok());
  std::vector<Migration> tampered = embedded_migrations();
  tampered.front().sql += "\n-- an innocent-looking edit\n";
  auto r = migrate(db, tampered);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("0001_events.sql"), std::string::npos);
  EXPECT_NE(r.error().message.find("changed"), std::string::npos);
}

TEST(Migrations, ADatabaseFromANewerBinaryIsRefused) {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<Migration> newer = embedded_migrations();
  newer.push_back(Migration{9999, "9999_future.sql", "CREATE TABLE future_thing (x INTEGER);"});
  ASSERT_TRUE(migrate(db, newer).ok());
  auto r = migrate(db, embedded_migrations());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("newer"), std::string::npos);
}

TEST(Migrations, NewMigrationsApplyInOrderOnTopOfOldOnes) {
  TempDir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(migrate(db, embedded_migrations()).ok());
  std::vector<Migration> next = embedded_migrations();
  next.push_back(Migration{9001, "9001_a.sql", "CREATE TABLE a (x INTEGER);"});
  next.push_back(Migration{9002, "9002_b.sql", "INSERT INTO a VALUES (1);"});
  auto r = migrate(db, next);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->applied, (std::vector<std::string>{"9001_a.sql", "9002_b.sql"}));
  EXPECT_EQ(r->schema_version, 9002);
  EXPECT_EQ(count(db, "SELECT count(*) FROM a"), 1);
}

TEST(Migrations, AFailingMigrationIsRolledBackAndNotRecorded) {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<Migration> broken = embedded_migrations();
  broken.push_back(Migration{9001, "9001_broken.sql", "CREATE TABLE half (x INTEGER); THIS IS NOT SQL;"});
  auto r = migrate(db, broken);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("9001_broken.sql"), std::string::npos);
  EXPECT_EQ(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'half'"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM schema_migrations WHERE version = 9001"), 0);
}

TEST(Migrations, AMarkedMigrationRunsOutsideATransactionAndIsRecorded) {
  TempDir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(migrate(db, embedded_migrations()).ok());
  std::vector<Migration> next = embedded_migrations();
  // VACUUM fails inside a transaction: only the marker makes this work.
  next.push_back(Migration{9001, "9001_vacuum.sql", std::string(kNoTransactionMarker) + "VACUUM;\n"});
  auto r = migrate(db, next);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->applied, (std::vector<std::string>{"9001_vacuum.sql"}));
  EXPECT_EQ(count(db, "SELECT count(*) FROM schema_migrations WHERE version = 9001"), 1);
  auto again = migrate(db, next);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->applied.empty());
}

TEST(Migrations, AFailingMarkedMigrationIsNotRecordedAndNamesItself) {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<Migration> broken = embedded_migrations();
  broken.push_back(Migration{9001, "9001_broken.sql", std::string(kNoTransactionMarker) + "THIS IS NOT SQL;"});
  auto r = migrate(db, broken);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("9001_broken.sql"), std::string::npos);
  EXPECT_EQ(count(db, "SELECT count(*) FROM schema_migrations WHERE version = 9001"), 0);
}

TEST(Migrations, AnExistingDatabaseWithRowsIsSwitchedToIncrementalAutoVacuum) {
  TempDir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(db.exec("PRAGMA journal_mode = WAL").ok());
  const std::vector<Migration> before_0004(embedded_migrations().begin(), embedded_migrations().begin() + 3);
  ASSERT_TRUE(migrate(db, before_0004).ok());
  ASSERT_TRUE(db.exec("INSERT INTO events(webhook, delivery_id, event, received_at, payload, last_seen_at, "
                      "payload_sha256) VALUES ('main', 'd1', 'PING', 't', '{}', 't', zeroblob(32))")
                  .ok());
  ASSERT_EQ(count(db, "PRAGMA auto_vacuum"), 0);
  auto r = migrate(db, embedded_migrations());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(count(db, "PRAGMA auto_vacuum"), 2);  // INCREMENTAL
  EXPECT_EQ(count(db, "SELECT count(*) FROM events"), 1);
}

TEST(Migrations, OutOfOrderVersionsAreRefused) {
  TempDir dir;
  auto db = open_db(dir);
  std::vector<Migration> bad = {Migration{2, "0002_b.sql", "SELECT 1;"}, Migration{1, "0001_a.sql", "SELECT 1;"}};
  EXPECT_FALSE(migrate(db, bad).ok());
}

TEST(Migrations, TheEmbeddedFilesAreTheOnesInTheSourceTree) {
  for (const Migration& m : embedded_migrations()) {
    const auto path = std::filesystem::path(CHRONOHOOK_SOURCE_DIR) / "migrations" / m.name;
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    const std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(on_disk, m.sql) << m.name;
  }
}

}  // namespace
}  // namespace chronohook

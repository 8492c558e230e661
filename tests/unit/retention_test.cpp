// Retention's cut-off: the limits, the cursors that hold it back, and the
// pass that deletes up to it in batches and gives the space back.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "chronohook/event_reader.hpp"
#include "chronohook/migrations.hpp"
#include "chronohook/retention.hpp"
#include "unit/temp_dir.hpp"

namespace chronohook {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// 2026-11-29T12:00:00Z: every received_at below is written relative to it.
const system_clock::time_point kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 29} + 12h;

RetentionConfig limits(std::optional<std::chrono::seconds> max_age, std::optional<std::uint64_t> max_events) {
  RetentionConfig c;
  c.enabled = true;
  c.max_age = max_age;
  c.max_events = max_events;
  return c;
}

CutoffInputs inputs(std::optional<std::int64_t> age_cut, std::optional<std::int64_t> count_cut,
                    std::vector<std::pair<std::string, std::int64_t>> cursors = {}) {
  CutoffInputs in;
  in.age_cut = age_cut;
  in.count_cut = count_cut;
  in.cursors = std::move(cursors);
  return in;
}

// ------------------------------------------------------ the pure decision

TEST(RetentionCutoff, TakesTheStricterOfMaxAgeAndMaxEvents) {
  const RetentionConfig both = limits(30 * 24h, 100);
  EXPECT_EQ(decide_cutoff(both, inputs(40, 25)).seq, 40);
  EXPECT_EQ(decide_cutoff(both, inputs(10, 25)).seq, 25);
  EXPECT_EQ(decide_cutoff(limits(30 * 24h, {}), inputs(40, {})).seq, 40);
  EXPECT_EQ(decide_cutoff(limits({}, 100), inputs({}, 25)).seq, 25);
  EXPECT_EQ(decide_cutoff(both, inputs(0, 0)).seq, 0);
}

TEST(RetentionCutoff, NeverPassesTheLowestCursorAndNamesItsConsumer) {
  const Cutoff c = decide_cutoff(limits({}, 10), inputs({}, 90, {{"billing", 70}, {"portal", 50}}));
  EXPECT_EQ(c.seq, 50);
  EXPECT_EQ(c.wanted, 90);
  EXPECT_EQ(c.held_by, "portal");
}

TEST(RetentionCutoff, AConsumerWithoutACursorRowHoldsEverything) {
  const Cutoff c = decide_cutoff(limits({}, 10), inputs({}, 90, {{"billing", 70}, {"new", 0}}));
  EXPECT_EQ(c.seq, 0);
  EXPECT_EQ(c.held_by, "new");
}

TEST(RetentionCutoff, ACursorPastTheLimitsChangesNothing) {
  const Cutoff c = decide_cutoff(limits({}, 10), inputs({}, 90, {{"billing", 500}}));
  EXPECT_EQ(c.seq, 90);
  EXPECT_TRUE(c.held_by.empty());
}

TEST(RetentionCutoff, KeepUnacknowledgedFalseIgnoresTheCursors) {
  RetentionConfig config = limits({}, 10);
  config.keep_unacknowledged = false;
  const Cutoff c = decide_cutoff(config, inputs({}, 90, {{"billing", 0}}));
  EXPECT_EQ(c.seq, 90);
  EXPECT_TRUE(c.held_by.empty());
}

// ------------------------------------------------- against a real database

class RetentionDb : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sqlite::Database::open(dir_ / "events.db", sqlite::Database::Mode::kReadWriteCreate);
    ASSERT_TRUE(db.ok());
    db_.emplace(std::move(*db));
    ASSERT_TRUE(db_->exec("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL").ok());
    ASSERT_TRUE(migrate(*db_, embedded_migrations()).ok());
  }

  // One event received `age` before kNow, with a payload of `bytes` bytes.
  std::int64_t add(std::chrono::seconds age, std::size_t bytes = 2) {
    auto stmt = db_->prepare(
        "INSERT INTO events(webhook, delivery_id, event, received_at, payload, last_seen_at, payload_sha256) "
        "VALUES ('main', 'd' || (SELECT count(*) FROM sqlite_sequence) || random(), 'PING', ?1, ?2, ?1, "
        "zeroblob(32))");
    EXPECT_TRUE(stmt.ok());
    const std::string received = utc_millis(kNow - age);
    const std::string payload = bytes <= 2 ? "{}" : "{\"x\":\"" + std::string(bytes - 8, 'a') + "\"}";
    stmt->bind(1, received).bind(2, payload);
    EXPECT_TRUE(stmt->step().ok());
    return db_->last_insert_rowid();
  }

  void set_cursor(const std::string& consumer, std::int64_t seq) {
    ASSERT_TRUE(db_->exec("INSERT INTO consumer_cursors(consumer, seq, updated_at) VALUES ('" + consumer + "', " +
                          std::to_string(seq) + ", 't') ON CONFLICT(consumer) DO UPDATE SET seq = excluded.seq")
                    .ok());
  }

  std::int64_t scalar(const std::string& sql) {
    auto stmt = db_->prepare(sql);
    EXPECT_TRUE(stmt.ok());
    EXPECT_TRUE(stmt->step().ok());
    return stmt->column_int(0);
  }

  PrunePlan plan(const RetentionConfig& config, const std::vector<std::string>& consumers = {}) {
    auto p = plan_prune(*db_, config, consumers, kNow);
    EXPECT_TRUE(p.ok()) << p.error().message;
    return p.ok() ? *p : PrunePlan{};
  }

  PruneReport prune(const RetentionConfig& config, const std::vector<std::string>& consumers = {}) {
    auto r = run_prune(*db_, write_on_connection(*db_), config, consumers, kNow);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : PruneReport{};
  }

  unit::TempDir dir_;
  std::optional<sqlite::Database> db_;
};

TEST_F(RetentionDb, MaxAgeCutsTheOldPrefixAndStopsAtTheFirstYoungEvent) {
  add(40 * 24h);
  add(35 * 24h);
  add(31 * 24h);
  add(2 * 24h);
  add(32 * 24h);  // old, but behind a young one: retention deletes a prefix of seq order
  const PrunePlan p = plan(limits(30 * 24h, {}));
  EXPECT_EQ(p.cutoff.seq, 3);
  EXPECT_EQ(p.events, 3);
  EXPECT_EQ(p.first_seq, 1);
  EXPECT_EQ(p.last_seq, 3);
  EXPECT_EQ(plan(limits(60 * 24h, {})).events, 0);
  EXPECT_EQ(plan(limits(1h, {})).cutoff.seq, 5);  // everything is older than an hour
}

TEST_F(RetentionDb, MaxEventsKeepsTheNewestAcrossGapsInSeq) {
  for (int i = 0; i < 10; ++i) add(1h);
  ASSERT_TRUE(db_->exec("DELETE FROM events WHERE seq IN (8, 9)").ok());  // a gap among the newest
  const PrunePlan p = plan(limits({}, 5));
  // Kept: 10, 7, 6, 5, 4.
  EXPECT_EQ(p.cutoff.seq, 3);
  EXPECT_EQ(p.events, 3);
  EXPECT_EQ(plan(limits({}, 8)).events, 0);
  EXPECT_EQ(plan(limits({}, 100)).events, 0);
}

TEST_F(RetentionDb, BothLimitsTogetherDeleteWhatEitherWould) {
  for (int i = 0; i < 4; ++i) add(40 * 24h);
  for (int i = 0; i < 6; ++i) add(1h);
  EXPECT_EQ(plan(limits(30 * 24h, 8)).cutoff.seq, 4);  // the age is stricter
  EXPECT_EQ(plan(limits(30 * 24h, 3)).cutoff.seq, 7);  // the count is stricter
}

TEST_F(RetentionDb, AConfiguredConsumerHoldsTheCutAtItsCursorAndWithoutARowAtZero) {
  for (int i = 0; i < 10; ++i) add(40 * 24h);
  set_cursor("billing", 6);
  const PrunePlan held = plan(limits(30 * 24h, {}), {"billing"});
  EXPECT_EQ(held.cutoff.seq, 6);
  EXPECT_EQ(held.cutoff.held_by, "billing");
  EXPECT_EQ(held.cutoff.wanted, 10);
  const PrunePlan none = plan(limits(30 * 24h, {}), {"billing", "portal"});
  EXPECT_EQ(none.cutoff.seq, 0);
  EXPECT_EQ(none.cutoff.held_by, "portal");
  EXPECT_EQ(none.events, 0);
}

TEST_F(RetentionDb, TheCursorOfAConsumerNoLongerConfiguredDoesNotCount) {
  for (int i = 0; i < 10; ++i) add(40 * 24h);
  set_cursor("retired", 2);
  EXPECT_EQ(plan(limits(30 * 24h, {})).cutoff.seq, 10);
}

TEST_F(RetentionDb, KeepUnacknowledgedFalseDeletesPastEveryCursor) {
  for (int i = 0; i < 10; ++i) add(40 * 24h);
  set_cursor("billing", 2);
  RetentionConfig config = limits(30 * 24h, {});
  config.keep_unacknowledged = false;
  EXPECT_EQ(plan(config, {"billing", "portal"}).cutoff.seq, 10);
}

TEST_F(RetentionDb, APassDeletesInBatchesAndReportsTheRange) {
  for (int i = 0; i < 10; ++i) add(40 * 24h);
  for (int i = 0; i < 2; ++i) add(1h);
  RetentionConfig config = limits(30 * 24h, {});
  config.batch_size = 3;
  const PruneReport r = prune(config);
  EXPECT_EQ(r.deleted, 10);
  EXPECT_EQ(r.first_deleted, 1);
  EXPECT_EQ(r.last_deleted, 10);
  EXPECT_EQ(r.batches, 4u);
  EXPECT_EQ(scalar("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(scalar("SELECT min(seq) FROM events"), 11);
  EXPECT_EQ(describe(r, false).rfind("deleted 10 event(s), seq 1..10 in 4 batch(es)", 0), 0u) << describe(r, false);
  EXPECT_EQ(prune(config).deleted, 0);  // a second pass finds nothing
}

TEST_F(RetentionDb, ACursorRewoundDuringThePassStillStopsTheDeletes) {
  for (int i = 0; i < 10; ++i) add(40 * 24h);
  set_cursor("billing", 8);
  RetentionConfig config = limits(30 * 24h, {});
  config.batch_size = 2;
  const WriteRunner direct = write_on_connection(*db_);
  bool rewound = false;
  const WriteRunner rewinding = [&](EventStore::Task task) {
    if (!rewound) set_cursor("billing", 3);  // the consumer rewinds after the plan was made
    rewound = true;
    return direct(std::move(task));
  };
  auto r = run_prune(*db_, rewinding, config, {"billing"}, kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->plan.cutoff.seq, 8);
  EXPECT_EQ(r->deleted, 3);
  EXPECT_EQ(scalar("SELECT min(seq) FROM events"), 4);
}

TEST_F(RetentionDb, AStopRequestEndsThePassBeforeAnyWrite) {
  for (int i = 0; i < 10; ++i) add(40 * 24h);
  auto r = run_prune(*db_, write_on_connection(*db_), limits(30 * 24h, {}), {}, kNow, [] { return true; });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stopped);
  EXPECT_EQ(r->deleted, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM events"), 10);
}

TEST_F(RetentionDb, ALargeDeleteGivesItsPagesBackToTheFileSystem) {
  for (int i = 0; i < 400; ++i) add(40 * 24h, 4000);
  add(1h);
  const std::int64_t pages_before = scalar("PRAGMA page_count");
  const PruneReport r = prune(limits(30 * 24h, {}));
  EXPECT_EQ(r.deleted, 400);
  EXPECT_GT(r.pages_returned, 300);
  EXPECT_EQ(scalar("PRAGMA freelist_count"), 0);
  EXPECT_LT(scalar("PRAGMA page_count"), pages_before / 4);
}

TEST_F(RetentionDb, SeqIsNeverReusedAfterTheNewestRowsAreDeleted) {
  for (int i = 0; i < 5; ++i) add(40 * 24h);
  EXPECT_EQ(prune(limits(30 * 24h, {})).deleted, 5);
  EXPECT_EQ(add(1h), 6);
}

TEST(RetentionReport, DescribesOneSeqAloneAndADryRunAsWhatWouldHappen) {
  PruneReport r;
  r.plan.events = 1;
  r.plan.first_seq = r.plan.last_seq = 7;
  EXPECT_EQ(describe(r, true), "would delete 1 event(s), seq 7");
  r.deleted = 1;
  r.first_deleted = r.last_deleted = 7;
  r.batches = 1;
  r.pages_returned = 256;
  r.page_size = 4096;
  EXPECT_EQ(describe(r, false),
            "deleted 1 event(s), seq 7 in 1 batch(es); returned 256 page(s) (1.0 MiB) to the file system");
}

TEST(RetentionAge, FormatsAgesTheWayTheConfigWritesThem) {
  EXPECT_EQ(format_age(30 * 24h), "30d");
  EXPECT_EQ(format_age(std::chrono::seconds(12h)), "12h");
  EXPECT_EQ(format_age(std::chrono::seconds(15min)), "15m");
  EXPECT_EQ(format_age(std::chrono::seconds(90)), "90s");
}

}  // namespace
}  // namespace chronohook

// Retention against the real daemon and the real `chronohook prune`: old
// events go, new hooks never do, the file shrinks, seq is never reused.
// Old events are planted with SQL (received_at 40 days back), the way a
// database that has been running for a while would hold them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "chronohook/sqlite.hpp"
#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// In every planted payload: the log must never show it.
constexpr std::string_view kPlantedMarker = "planted-payload-4b1e9d";

// The daemon and `prune` take turns at the write lock: give each room to
// wait for the other's transaction on a loaded machine.
std::string config_with(std::string_view retention_toml, ConfigOptions options = {}) {
  options.busy_timeout_ms = 10'000;
  return make_config(options) + "\n[retention]\n" + std::string(retention_toml);
}

// `count` events received 40 days ago, each with a payload of about
// `payload_bytes`, written by another connection (busy_timeout: the daemon
// may be writing).
void plant_old_events(const std::filesystem::path& db_path, int count, std::size_t payload_bytes = 64) {
  auto db = sqlite::Database::open(db_path, sqlite::Database::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->exec("PRAGMA busy_timeout = 10000").ok());
  ASSERT_TRUE(db->exec("BEGIN IMMEDIATE").ok());
  auto stmt = db->prepare(
      "INSERT INTO events(webhook, delivery_id, event, received_at, payload, last_seen_at, payload_sha256) "
      "VALUES ('main', ?1, 'PING', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-40 days'), ?2, "
      "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-40 days'), zeroblob(32))");
  ASSERT_TRUE(stmt.ok()) << stmt.error().message;
  const std::string payload = "{\"note\":\"" + std::string(kPlantedMarker) +
                              std::string(payload_bytes > 40 ? payload_bytes - 40 : 1, 'x') + "\"}";
  for (int i = 0; i < count; ++i) {
    const std::string delivery = "planted-" + fresh_delivery_id();
    stmt->bind(1, delivery).bind(2, payload);
    ASSERT_TRUE(stmt->step().ok());
    stmt->reset();
  }
  ASSERT_TRUE(db->exec("COMMIT").ok());
}

std::int64_t scalar(const std::filesystem::path& db, const std::string& sql) {
  ReadOnlyDb reader(db);
  return reader.count(sql);
}

// Polls `done` every 50 ms for up to `limit`: the daemon's pass is periodic.
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

CommandResult prune(const Daemon& daemon, bool dry_run = false) {
  std::vector<std::string> args{"prune", "--config", daemon.config_path().string()};
  if (dry_run) args.push_back("--dry-run");
  return run_chronohook(args, {}, 120s);
}

TEST(Retention, ThePeriodicPassDeletesEventsOlderThanMaxAgeAndLogsOneLineWithoutPayload) {
  Daemon daemon(config_with("max_age = \"30d\"\ninterval = \"1s\"\n"), Launch{});
  plant_old_events(daemon.db_path(), 3);
  const Response fresh = daemon.send(signed_hook(kMainSecret));
  ASSERT_EQ(fresh.status, 200) << fresh.body;

  ASSERT_TRUE(eventually([&] { return count_events(daemon.db_path()) == 1; })) << daemon.log_tail();
  EXPECT_EQ(scalar(daemon.db_path(), "SELECT seq FROM events"), json_int_field(fresh.body, "seq").value_or(-1));
  ASSERT_TRUE(eventually([&] { return daemon.log_text().find("retention: deleted 3 event(s)") != std::string::npos; }));
  const std::string log = daemon.log_text();
  EXPECT_THAT(log, HasSubstr("retention: deleted 3 event(s), seq 1..3 in 1 batch(es)"));
  EXPECT_THAT(log, HasSubstr("retention: max_age 30d, a pass every 1s"));
  EXPECT_THAT(log, Not(HasSubstr(kPlantedMarker)));
  EXPECT_EQ(daemon.stop(), 0);
}

// Two consumers as the pull API knows them; retention reads their cursors.
constexpr std::string_view kConsumers =
    "\n[[consumer]]\nname = \"billing\"\ntoken = \"bb-billing-token-5c7e1a9f03d2\"\n"
    "\n[[consumer]]\nname = \"portal\"\ntoken = \"bb-portal-token-8d2f4b6a71e0\"\n";

// Stores a consumer's cursor the way the pull API's writer task does.
void set_cursor(const std::filesystem::path& db_path, const std::string& consumer, std::int64_t seq) {
  auto db = sqlite::Database::open(db_path, sqlite::Database::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->exec("PRAGMA busy_timeout = 10000").ok());
  auto stmt = db->prepare(
      "INSERT INTO consumer_cursors(consumer, seq, updated_at) VALUES (?1, ?2, 't') "
      "ON CONFLICT(consumer) DO UPDATE SET seq = excluded.seq");
  ASSERT_TRUE(stmt.ok()) << stmt.error().message;
  stmt->bind(1, consumer).bind(2, seq);
  ASSERT_TRUE(stmt->step().ok());
}

TEST(Retention, NeverDeletesPastTheCursorOfAConfiguredConsumer) {
  Daemon daemon(config_with("max_age = \"30d\"\ninterval = \"1s\"\n") + std::string(kConsumers), Launch{});
  plant_old_events(daemon.db_path(), 10);
  set_cursor(daemon.db_path(), "billing", 10);
  // portal has no cursor row: it has acknowledged nothing, so nothing goes.
  ASSERT_TRUE(eventually([&] {
    return daemon.log_text().find("held at seq 0 by consumer portal") != std::string::npos;
  })) << daemon.log_tail();
  EXPECT_EQ(count_events(daemon.db_path()), 10);

  set_cursor(daemon.db_path(), "portal", 4);
  ASSERT_TRUE(eventually([&] { return count_events(daemon.db_path()) == 6; })) << daemon.log_tail();
  // The rows go before the logging thread writes the pass's line.
  EXPECT_TRUE(eventually([&] {
    return daemon.log_text().find(
               "retention: deleted 4 event(s), seq 1..4 in 1 batch(es); held at seq 4 by "
               "consumer portal") != std::string::npos;
  })) << daemon.log_tail();
  std::this_thread::sleep_for(2500ms);  // two more passes: still held
  EXPECT_EQ(scalar(daemon.db_path(), "SELECT min(seq) FROM events"), 5);

  set_cursor(daemon.db_path(), "portal", 10);
  ASSERT_TRUE(eventually([&] { return count_events(daemon.db_path()) == 0; })) << daemon.log_tail();
}

TEST(Prune, DryRunNamesTheConsumerThatHoldsEventsBack) {
  Daemon daemon(config_with("max_age = \"30d\"\n") + std::string(kConsumers), Launch{});
  plant_old_events(daemon.db_path(), 10);
  set_cursor(daemon.db_path(), "billing", 7);
  set_cursor(daemon.db_path(), "portal", 3);
  const CommandResult r = prune(daemon, true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("prune: would delete 3 event(s), seq 1..3; held at seq 3 by consumer portal, which has "
                               "not acknowledged past it (the limits alone reach seq 10)"));
}

TEST(Prune, KeepUnacknowledgedFalseDeletesPastTheCursorsAndWarns) {
  Daemon daemon(config_with("max_age = \"30d\"\nkeep_unacknowledged = false\n") + std::string(kConsumers), Launch{});
  EXPECT_THAT(daemon.log_text(), HasSubstr("keep_unacknowledged = false"));
  plant_old_events(daemon.db_path(), 10);
  set_cursor(daemon.db_path(), "billing", 2);
  const CommandResult r = prune(daemon);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("prune: deleted 10 event(s)"));
  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

TEST(Retention, MaxEventsKeepsTheNewestHooks) {
  Daemon daemon(config_with("max_events = 3\ninterval = \"1s\"\n"), Launch{});
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 8; ++i) {
    const Response r = daemon.send(signed_hook(kMainSecret));
    ASSERT_EQ(r.status, 200) << r.body;
    seqs.push_back(json_int_field(r.body, "seq").value_or(-1));
  }
  ASSERT_TRUE(eventually([&] { return count_events(daemon.db_path()) == 3; })) << daemon.log_tail();
  EXPECT_EQ(scalar(daemon.db_path(), "SELECT min(seq) FROM events"), seqs[5]);
}

TEST(Prune, DryRunReportsTheNumbersAndDeletesNothing) {
  Daemon daemon(config_with("max_age = \"30d\"\n"), Launch{});  // the daemon's own pass is an hour away
  plant_old_events(daemon.db_path(), 25);
  ASSERT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);

  const CommandResult r = prune(daemon, true);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("prune: would delete 25 event(s), seq 1..25 (dry run: nothing was deleted)"));
  EXPECT_EQ(count_events(daemon.db_path()), 26);

  const CommandResult real = prune(daemon);
  EXPECT_EQ(real.exit_code, 0) << real.err;
  EXPECT_THAT(real.out, HasSubstr("prune: deleted 25 event(s), seq 1..25 in 1 batch(es)"));
  EXPECT_EQ(count_events(daemon.db_path()), 1);
}

TEST(Prune, WithoutARetentionTableIsAConfigurationError) {
  Daemon daemon;
  const CommandResult r = prune(daemon);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no [retention] table"));
}

TEST(Prune, WhileServeIngestsNoNewHookIsLost) {
  Daemon daemon(config_with("max_age = \"30d\"\nbatch_size = 50\n"), Launch{});
  plant_old_events(daemon.db_path(), 3000);

  std::atomic<bool> done{false};
  std::vector<std::string> stored;
  std::thread sender([&] {
    for (int i = 0; i < 400 && !done.load(); ++i) {
      const Request hook = signed_hook(kMainSecret);
      const Response r = daemon.send(hook);
      if (r.status == 200)
        stored.push_back(delivery_of(hook));
      else
        ADD_FAILURE() << "hook answered " << r.status << ": " << r.body;
    }
  });
  const CommandResult pruned = prune(daemon);
  const CommandResult again = prune(daemon);  // a second run meets hooks only
  done.store(true);
  sender.join();

  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_THAT(pruned.out, HasSubstr("prune: deleted 3000 event(s), seq 1..3000 in 60 batch(es)"));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("prune: deleted nothing"));
  ASSERT_FALSE(stored.empty());
  for (const std::string& delivery : stored) EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery)) << delivery;
  EXPECT_EQ(count_events(daemon.db_path()), static_cast<std::int64_t>(stored.size()));
  EXPECT_EQ(scalar(daemon.db_path(), "SELECT count(*) FROM events WHERE delivery_id LIKE 'planted-%'"), 0);
}

TEST(Prune, ALargeDeleteGivesTheSpaceBackToTheFileSystem) {
  Daemon daemon(config_with("max_age = \"30d\"\n"), Launch{});
  plant_old_events(daemon.db_path(), 2000, 4000);  // about 8 MiB
  ASSERT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
  const std::int64_t pages_before = scalar(daemon.db_path(), "PRAGMA page_count");
  ASSERT_GT(pages_before, 2000);

  const CommandResult r = prune(daemon);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("to the file system"));
  EXPECT_EQ(scalar(daemon.db_path(), "PRAGMA freelist_count"), 0);
  EXPECT_LT(scalar(daemon.db_path(), "PRAGMA page_count"), pages_before / 10);
  EXPECT_EQ(daemon.stop(), 0);
  // The daemon's last checkpoint truncated the file to its new size.
  EXPECT_LT(std::filesystem::file_size(daemon.db_path()), static_cast<std::uintmax_t>(pages_before) * 4096 / 10);
}

TEST(Retention, ASeqIsNeverHandedOutAgainAfterTheNewestRowsAreDeleted) {
  Daemon daemon(config_with("max_events = 1000\n"), Launch{});
  std::int64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    const Response r = daemon.send(signed_hook(kMainSecret));
    ASSERT_EQ(r.status, 200) << r.body;
    last = json_int_field(r.body, "seq").value_or(-1);
  }
  {
    auto db = sqlite::Database::open(daemon.db_path(), sqlite::Database::Mode::kReadWrite);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("PRAGMA busy_timeout = 10000; DELETE FROM events").ok());
  }
  const Response next = daemon.send(signed_hook(kMainSecret));
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_GT(json_int_field(next.body, "seq").value_or(-1), last);
}

TEST(Retention, ShutdownDuringAPassStopsItBetweenBatchesAndExitsCleanly) {
  ConfigOptions options;
  options.extra_server_toml = "shutdown_timeout_ms = 5000\n";
  Daemon daemon(config_with("max_age = \"30d\"\ninterval = \"1s\"\nbatch_size = 1\n", options), Launch{});
  plant_old_events(daemon.db_path(), 20'000);
  // Wait for the pass to be under way, one row per writer task.
  ASSERT_TRUE(eventually([&] { return count_events(daemon.db_path()) < 20'000; })) << daemon.log_tail();
  const auto start = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  const auto code = daemon.wait_for_exit(20s);
  ASSERT_TRUE(code.has_value()) << daemon.log_tail();
  EXPECT_EQ(*code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s + 2s);  // shutdown_timeout_ms, with margin for a loaded host
  EXPECT_GT(count_events(daemon.db_path()), 0);
  EXPECT_THAT(daemon.log_text(), HasSubstr("stopped early: the receiver is shutting down"));
}

TEST(Retention, CheckConfigShowsTheRetentionSettings) {
  Daemon daemon(config_with("max_age = \"30d\"\nmax_events = 5000\n"), Launch{});
  const CommandResult r = run_chronohook({"check-config", "--config", daemon.config_path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("[retention]"));
  EXPECT_THAT(r.out, HasSubstr("max_age                 30d"));
  EXPECT_THAT(r.out, HasSubstr("max_events              5000"));
  EXPECT_THAT(r.out, HasSubstr("keep_unacknowledged     true"));
}

}  // namespace
}  // namespace chronohook::testing

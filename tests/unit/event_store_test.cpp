#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "chronohook/event_store.hpp"
#include "unit/store_support.hpp"

namespace chronohook {
namespace {

using namespace std::chrono_literals;
using unit::append;
using unit::config_in;
using unit::record;
using unit::scalar;
using unit::TempDir;
using unit::WriteLock;

TEST(EventStore, CreatesTheDatabaseOwnerOnlyInAnOwnerOnlyDirectory) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok()) << store.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "data" / "events.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir / "data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(EventStore, TightensAnExistingDatabaseFileThatOthersCouldRead) {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  { std::ofstream touch(dir / "data" / "events.db"); }
  ::chmod((dir / "data" / "events.db").c_str(), 0644);
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "data" / "events.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(EventStore, FileMode0640MakesTheDatabaseGroupReadableAndItsNewDirectoryGroupEnterable) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.file_mode = 0640;
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok()) << store.error().message;
  append(**store, record("d-1"));
  struct stat st {};
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = c.path.string() + suffix;
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0640u) << file;
  }
  ASSERT_EQ(::stat((dir / "data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  // A reader that cannot create them needs the -wal and -shm after the store closes.
  store->reset();
  EXPECT_TRUE(std::filesystem::exists(c.path.string() + "-wal"));
  EXPECT_TRUE(std::filesystem::exists(c.path.string() + "-shm"));
}

TEST(EventStore, PreparingTheFileReportsEachModeItChanges) {
  TempDir dir;
  const auto path = dir / "events.db";
  { std::ofstream touch(path); }
  { std::ofstream touch(path.string() + "-wal"); }
  ::chmod(path.c_str(), 0600);
  ::chmod((path.string() + "-wal").c_str(), 0644);
  auto widened = sqlite::prepare_database_file(path, 0640);
  ASSERT_TRUE(widened.ok()) << widened.error().message;
  ASSERT_EQ(widened->size(), 2u);
  EXPECT_EQ((*widened)[0].file, path);
  EXPECT_EQ((*widened)[0].from, 0600u);
  EXPECT_EQ((*widened)[0].to, 0640u);
  EXPECT_EQ((*widened)[1].from, 0644u);
  auto again = sqlite::prepare_database_file(path, 0640);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(sqlite::octal_mode(0640), "0640");
}

TEST(EventStore, UsesWalWithTheConfiguredSynchronousMode) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  auto db = sqlite::Database::open(dir / "data" / "events.db", sqlite::Database::Mode::kReadOnly);
  auto stmt = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(stmt->step().ok());
  EXPECT_EQ(stmt->column_text(0), "wal");
}

TEST(EventStore, StoresARecordAndReturnsItsSeq) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  const AppendOutcome first = append(**store, record("d-1"));
  EXPECT_EQ(first.kind, AppendOutcome::Kind::kStored);
  EXPECT_EQ(first.attempts, 1);
  const AppendOutcome second = append(**store, record("d-2"));
  EXPECT_GT(second.seq, first.seq);
  const auto db = dir / "data" / "events.db";
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM events"), 2);
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM events WHERE delivery_id = 'd-1' AND patient_id = '2' AND "
                   "last_seen_at = received_at AND payload = '{\"object\":{\"id\":1,\"patient\":2}}'"),
            1);
}

TEST(EventStore, ADuplicateDeliveryIsStoredOnceAndItsAttemptsCounted) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  const AppendOutcome first = append(**store, record("d-1"));
  EventRecord again = record("d-1");
  again.received_at = "2026-11-29T11:00:00.000Z";
  const AppendOutcome second = append(**store, again);
  EXPECT_EQ(second.kind, AppendOutcome::Kind::kDuplicate);
  EXPECT_EQ(second.seq, first.seq);
  EXPECT_EQ(second.attempts, 2);
  const auto db = dir / "data" / "events.db";
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(scalar(db, "SELECT attempts FROM events"), 2);
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM events WHERE received_at = '2026-11-29T10:00:00.000Z' AND "
                   "last_seen_at = '2026-11-29T11:00:00.000Z'"),
            1);
}

TEST(EventStore, TheSameDeliveryIdForAnotherWebhookIsADifferentEvent) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  EventRecord other = record("d-1");
  other.webhook = "other";
  EXPECT_EQ(append(**store, record("d-1")).kind, AppendOutcome::Kind::kStored);
  EXPECT_EQ(append(**store, other).kind, AppendOutcome::Kind::kStored);
}

TEST(EventStore, ConcurrentHooksShareOneCommit) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  constexpr int kHooks = 100;
  std::vector<std::future<AppendOutcome>> outcomes;
  {
    // While another connection holds the lock the writer waits, and the
    // hooks that arrive meanwhile must all go into the next transaction.
    WriteLock lock(dir / "data" / "events.db");
    for (int i = 0; i < kHooks; ++i) {
      auto promise = std::make_shared<std::promise<AppendOutcome>>();
      outcomes.push_back(promise->get_future());
      (*store)->submit(record("d-" + std::to_string(i)), [promise](AppendOutcome o) { promise->set_value(o); });
    }
    std::this_thread::sleep_for(50ms);
  }
  for (auto& f : outcomes) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(f.get().kind, AppendOutcome::Kind::kStored);
  }
  EXPECT_GE((*store)->stats().largest_batch, static_cast<std::uint64_t>(kHooks / 2));
  EXPECT_LE((*store)->stats().batches, 3u);
}

TEST(EventStore, AnIdleWriterShowsProgressButOneStuckOnAnotherProcesssLockDoesNot) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.busy_timeout = 10s;
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  // Idle: the writer still wakes every kIdleHeartbeat.
  const auto idle_from = (*store)->last_progress();
  std::this_thread::sleep_for(EventStore::kIdleHeartbeat + 500ms);
  EXPECT_GT((*store)->last_progress(), idle_from);

  std::future<AppendOutcome> outcome;
  {
    WriteLock lock(c.path);
    auto promise = std::make_shared<std::promise<AppendOutcome>>();
    outcome = promise->get_future();
    (*store)->submit(record("held"), [promise](AppendOutcome o) { promise->set_value(o); });
    for (int wait = 0; wait < 1000 && (*store)->queued() > 0; ++wait) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(100ms);  // the writer is in its busy handler now
    const auto stuck_from = (*store)->last_progress();
    std::this_thread::sleep_for(EventStore::kIdleHeartbeat * 2);
    EXPECT_EQ((*store)->last_progress(), stuck_from);
  }
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(outcome.get().kind, AppendOutcome::Kind::kStored);
  EXPECT_GT((*store)->last_progress(), idle_from);
}

TEST(EventStore, AFullQueueRefusesAtOnceInsteadOfWaiting) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.queue_capacity = 4;
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  std::vector<std::future<AppendOutcome>> outcomes;
  int overloaded = 0;
  {
    WriteLock lock(c.path);
    for (int i = 0; i < 10; ++i) {
      auto promise = std::make_shared<std::promise<AppendOutcome>>();
      outcomes.push_back(promise->get_future());
      (*store)->submit(record("d-" + std::to_string(i)), [promise](AppendOutcome o) { promise->set_value(o); });
      // Let the writer take the first record and block on the lock, so the
      // queue then holds exactly its capacity.
      for (int wait = 0; i == 0 && wait < 1000 && (*store)->queued() > 0; ++wait) std::this_thread::sleep_for(1ms);
    }
    for (auto& f : outcomes) {
      if (f.wait_for(0ms) == std::future_status::ready) {
        EXPECT_EQ(f.get().kind, AppendOutcome::Kind::kOverloaded);
        ++overloaded;
      }
    }
  }
  // One record is with the writer, the queue holds four more, five are refused.
  EXPECT_EQ(overloaded, 5);
  for (auto& f : outcomes) {
    if (f.valid()) {
      ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
      EXPECT_EQ(f.get().kind, AppendOutcome::Kind::kStored);
    }
  }
}

TEST(EventStore, ALockedDatabaseFailsTheHookAndTheNextOneSucceeds) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.busy_timeout = 50ms;
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  {
    WriteLock lock(c.path);
    const AppendOutcome failed = append(**store, record("d-1"));
    EXPECT_EQ(failed.kind, AppendOutcome::Kind::kFailed);
    EXPECT_FALSE(failed.error.empty());
  }
  EXPECT_EQ(append(**store, record("d-1")).kind, AppendOutcome::Kind::kStored);
  EXPECT_EQ(scalar(c.path, "SELECT count(*) FROM events"), 1);
  EXPECT_EQ(scalar(c.path, "SELECT attempts FROM events"), 1);
}

TEST(EventStore, OneBadRecordDoesNotFailTheOthersInItsBatch) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  // A trigger stands in for any per-row failure (a constraint, a full row).
  {
    auto db = sqlite::Database::open(c.path, sqlite::Database::Mode::kReadWrite);
    ASSERT_TRUE(db->exec("CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.delivery_id = 'poison' "
                         "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;")
                    .ok());
  }
  std::vector<std::future<AppendOutcome>> outcomes;
  {
    WriteLock lock(c.path);
    for (const char* id : {"good-1", "poison", "good-2"}) {
      auto promise = std::make_shared<std::promise<AppendOutcome>>();
      outcomes.push_back(promise->get_future());
      (*store)->submit(record(id), [promise](AppendOutcome o) { promise->set_value(o); });
    }
    std::this_thread::sleep_for(50ms);
  }
  std::vector<AppendOutcome::Kind> kinds;
  for (auto& f : outcomes) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    kinds.push_back(f.get().kind);
  }
  EXPECT_EQ(kinds, (std::vector<AppendOutcome::Kind>{AppendOutcome::Kind::kStored, AppendOutcome::Kind::kFailed,
                                                     AppendOutcome::Kind::kStored}));
  EXPECT_EQ(scalar(c.path, "SELECT count(*) FROM events"), 2);
}

TEST(EventStore, StopCommitsWhatIsQueuedAndThenRefuses) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  std::atomic<int> stored{0};
  for (int i = 0; i < 50; ++i) {
    (*store)->submit(record("d-" + std::to_string(i)), [&stored](AppendOutcome o) {
      if (o.kind == AppendOutcome::Kind::kStored) ++stored;
    });
  }
  (*store)->stop();
  EXPECT_EQ(stored.load(), 50);
  EXPECT_EQ(append(**store, record("late")).kind, AppendOutcome::Kind::kFailed);
  EXPECT_EQ(scalar(c.path, "SELECT count(*) FROM events"), 50);
}

TEST(EventStore, SeqIsNeverReusedAfterRowsAreDeleted) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  const std::int64_t first = append(**store, record("d-1")).seq;
  {
    auto db = sqlite::Database::open(c.path, sqlite::Database::Mode::kReadWrite);
    ASSERT_TRUE(db->exec("DELETE FROM events").ok());
  }
  EXPECT_GT(append(**store, record("d-2")).seq, first);
}

TEST(EventStore, RefusesADatabaseItCannotCreate) {
  TempDir dir;
  StorageConfig c;
  { std::ofstream file(dir / "not-a-dir"); }
  c.path = dir / "not-a-dir" / "events.db";
  auto store = EventStore::open(c);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("not-a-dir"), std::string::npos);
}

}  // namespace
}  // namespace chronohook

namespace chronohook {
namespace {

TEST(EventStore, CheckpointsTheWalInTheBackgroundWhileHooksKeepComing) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.queue_capacity = 20000;
  c.max_batch = 512;
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  constexpr int kHooks = 12000;
  std::atomic<int> stored{0};
  std::promise<void> all_done;
  for (int i = 0; i < kHooks; ++i) {
    EventRecord r = record("d-" + std::to_string(i));
    r.payload = R"({"object":{"notes":")" + std::string(2000, 'n') + R"("}})";
    (*store)->submit(std::move(r), [&](AppendOutcome o) {
      if (o.kind == AppendOutcome::Kind::kStored && ++stored == kHooks) all_done.set_value();
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(60s), std::future_status::ready);
  // 24 MB of rows went through the WAL; checkpoints must have copied them
  // into the database file while the store was running.
  EXPECT_GT((*store)->stats().background_checkpoints, 0u);
  EXPECT_GT(std::filesystem::file_size(c.path), 10u * 1024 * 1024);
  (*store)->stop();
  EXPECT_EQ(scalar(c.path, "SELECT count(*) FROM events"), kHooks);
}

}  // namespace
}  // namespace chronohook

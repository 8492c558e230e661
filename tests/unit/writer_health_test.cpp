// What the writer reports for /readyz: its idle probe notices another
// process's lock without any hook, a commit's failure is kept with SQLite's
// reason, and both clear at the next write that succeeds. Also the commit
// histograms the writer fills.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "chronohook/counters.hpp"
#include "chronohook/event_store.hpp"
#include "unit/store_support.hpp"

namespace chronohook {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using unit::config_in;
using unit::record;
using unit::TempDir;
using unit::WriteLock;

// Polls `done` every 20 ms for up to 10 s.
template <typename Predicate>
bool eventually(Predicate done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

TEST(WriterHealth, ANewStoreHasWrittenAndNeverFailed) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok()) << store.error().message;
  const WriterHealth h = (*store)->writer_health();
  EXPECT_NE(h.last_write_ok, Clock::time_point{});
  EXPECT_EQ(h.last_failure, Clock::time_point{});
  EXPECT_EQ(h.failure, WriteFailure::kNone);
  EXPECT_EQ(h.last_commit_ok, Clock::time_point{});
}

TEST(WriterHealth, TheIdleProbeSeesAnotherProcesssLockAndItsReleaseWithoutAnyHook) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.busy_timeout = 50ms;
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok()) << store.error().message;
  {
    WriteLock lock(c.path);
    const Clock::time_point locked_at = Clock::now();
    ASSERT_TRUE(eventually([&] { return (*store)->writer_health().last_failure > locked_at; }))
        << "no probe failed while the lock was held";
    const WriterHealth h = (*store)->writer_health();
    EXPECT_EQ(h.failure, WriteFailure::kLocked);
    EXPECT_GT(h.last_failure, h.last_write_ok);
  }
  const Clock::time_point released_at = Clock::now();
  ASSERT_TRUE(eventually([&] { return (*store)->writer_health().last_write_ok > released_at; }));
  const WriterHealth h = (*store)->writer_health();
  EXPECT_GT(h.last_write_ok, h.last_failure);
}

TEST(WriterHealth, AProbeWaitingForTheLockGivesWayToAHook) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.busy_timeout = 3s;
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok()) << store.error().message;
  std::future<AppendOutcome> outcome;
  Clock::time_point submitted;
  {
    WriteLock lock(c.path);
    // Let an idle heartbeat pass: the writer is in its probe, waiting.
    ASSERT_TRUE(eventually([&] { return (*store)->writer_health().lock_wait_since != Clock::time_point{}; }));
    auto promise = std::make_shared<std::promise<AppendOutcome>>();
    outcome = promise->get_future();
    submitted = Clock::now();
    (*store)->submit(record("while-probing"), [promise](AppendOutcome o) { promise->set_value(o); });
    std::this_thread::sleep_for(300ms);
  }
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(outcome.get().kind, AppendOutcome::Kind::kStored);
  // The hook waited for the lock once (about 300 ms), not behind a whole
  // probe's busy_timeout first.
  EXPECT_LT(Clock::now() - submitted, 2s);
  EXPECT_EQ((*store)->writer_health().failure, WriteFailure::kNone) << "a probe that gave way is no failure";
}

TEST(WriterHealth, ACommitThatFailsOnTheLockIsRecordedAsLockedAndTheNextCommitClearsIt) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.busy_timeout = 50ms;
  auto counters = std::make_shared<Counters>();
  auto store = EventStore::open(c, counters);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto submit = [&](const std::string& id) {
    auto promise = std::make_shared<std::promise<AppendOutcome>>();
    auto f = promise->get_future();
    (*store)->submit(record(id), [promise](AppendOutcome o) { promise->set_value(o); });
    return f.get();
  };
  {
    WriteLock lock(c.path);
    EXPECT_EQ(submit("refused").kind, AppendOutcome::Kind::kFailed);
    EXPECT_EQ((*store)->writer_health().failure, WriteFailure::kLocked);
  }
  EXPECT_EQ(submit("stored").kind, AppendOutcome::Kind::kStored);
  const WriterHealth h = (*store)->writer_health();
  EXPECT_GT(h.last_commit_ok, h.last_failure);
  const HistogramSnapshot sizes = counters->batch_size.snapshot();
  EXPECT_EQ(sizes.sum, 2u);  // two transactions of one hook each, failed or not
  EXPECT_EQ(sizes.counts[0], 2u);
  const HistogramSnapshot micros = counters->commit_micros.snapshot();
  std::uint64_t timed = 0;
  for (std::uint64_t n : micros.counts) timed += n;
  EXPECT_EQ(timed, 2u);
  EXPECT_GE(micros.sum, 50'000u) << "the failed one waited busy_timeout for the lock";
}

}  // namespace
}  // namespace chronohook

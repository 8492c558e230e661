// fail_pending(): the store's half of a bounded shutdown. Everything still
// queued, and a batch waiting for another process's lock, fails at once and
// is never committed afterwards.
#include <gtest/gtest.h>

#include <chrono>
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

TEST(EventStoreShutdown, FailPendingFailsTheQueueAndTheBatchWaitingOnALockWithoutWaitingOutBusyTimeout) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.busy_timeout = 60s;  // only fail_pending() can end this wait in time
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  std::vector<std::future<AppendOutcome>> outcomes;
  WriteLock lock(c.path);
  for (int i = 0; i < 5; ++i) {
    auto promise = std::make_shared<std::promise<AppendOutcome>>();
    outcomes.push_back(promise->get_future());
    (*store)->submit(record("d-" + std::to_string(i)), [promise](AppendOutcome o) { promise->set_value(o); });
    // The first one is taken by the writer, which then waits for the lock.
    for (int wait = 0; i == 0 && wait < 1000 && (*store)->queued() > 0; ++wait) std::this_thread::sleep_for(1ms);
  }
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ((*store)->fail_pending(), 4u);
  for (auto& f : outcomes) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready) << "a batch kept waiting for the lock";
    const AppendOutcome o = f.get();
    EXPECT_EQ(o.kind, AppendOutcome::Kind::kFailed);
    EXPECT_FALSE(o.error.empty());
  }
  EXPECT_EQ(append(**store, record("late")).kind, AppendOutcome::Kind::kFailed);
  const auto before_stop = std::chrono::steady_clock::now();
  (*store)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before_stop, 10s);
  lock.release();
  EXPECT_EQ(scalar(c.path, "SELECT count(*) FROM events"), 0);
}

TEST(EventStoreShutdown, WithoutFailPendingALockedDatabaseIsStillWaitedForUpToBusyTimeout) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  c.busy_timeout = 5s;
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  auto promise = std::make_shared<std::promise<AppendOutcome>>();
  auto future = promise->get_future();
  {
    WriteLock lock(c.path);
    (*store)->submit(record("d-1"), [promise](AppendOutcome o) { promise->set_value(o); });
    std::this_thread::sleep_for(200ms);  // a lock shorter than busy_timeout
  }
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().kind, AppendOutcome::Kind::kStored);
}

}  // namespace
}  // namespace chronohook

// Long-poll wake-ups: a waiter wakes once, when a commit passes what it saw,
// and never misses a commit that happened while it was registering.
#include <gtest/gtest.h>

#include "admin/commit_waiters.hpp"

namespace chronohook::admin {
namespace {

TEST(CommitWaiters, WakesAWaiterOnceWhenACommitPassesWhatItSaw) {
  CommitWaiters waiters;
  int woken = 0;
  waiters.wait(10, 10, [&] { ++woken; });
  waiters.notify(10);
  EXPECT_EQ(woken, 0);
  waiters.notify(11);
  EXPECT_EQ(woken, 1);
  waiters.notify(12);
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(waiters.waiting(), 0u);
}

TEST(CommitWaiters, WakesAtOnceWhenTheCommitCameBeforeTheWait) {
  CommitWaiters waiters;
  int woken = 0;
  waiters.wait(5, 6, [&] { ++woken; });  // the caller read 6 after its read saw 5
  EXPECT_EQ(woken, 1);
  waiters.notify(9);
  waiters.wait(5, 5, [&] { ++woken; });  // notified 9 already
  EXPECT_EQ(woken, 2);
  EXPECT_EQ(waiters.waiting(), 0u);
}

TEST(CommitWaiters, ACancelledWaiterIsNeverWoken) {
  CommitWaiters waiters;
  int woken = 0;
  const auto id = waiters.wait(3, 3, [&] { ++woken; });
  EXPECT_TRUE(waiters.cancel(id));
  EXPECT_FALSE(waiters.cancel(id));
  waiters.notify(4);
  EXPECT_EQ(woken, 0);
}

TEST(CommitWaiters, CancelSaysFalseOnceTheWakeIsOnItsWay) {
  CommitWaiters waiters;
  int woken = 0;
  const auto id = waiters.wait(3, 3, [&] { ++woken; });
  waiters.notify(4);
  EXPECT_FALSE(waiters.cancel(id));
  EXPECT_EQ(woken, 1);
}

TEST(CommitWaiters, WakesOnlyTheWaitersACommitPasses) {
  CommitWaiters waiters;
  int low = 0;
  int high = 0;
  waiters.wait(1, 1, [&] { ++low; });
  waiters.wait(7, 1, [&] { ++high; });
  waiters.notify(5);
  EXPECT_EQ(low, 1);
  EXPECT_EQ(high, 0);
  waiters.notify(8);
  EXPECT_EQ(high, 1);
}

}  // namespace
}  // namespace chronohook::admin

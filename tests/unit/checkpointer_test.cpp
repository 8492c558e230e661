// The policy that decides, after each commit, who copies the WAL back into
// the database (src/store/checkpointer.hpp). The copying itself is covered by
// the EventStore tests; these pin down when it is asked for.
#include <gtest/gtest.h>

#include "store/checkpointer.hpp"

namespace chronohook {
namespace {

using Step = Checkpointer::Step;
constexpr int kBackground = Checkpointer::kBackgroundPages;
constexpr int kWriter = Checkpointer::kWriterPages;
constexpr int kNear = Checkpointer::kNearLimitPages;

TEST(CheckpointPolicy, AsksTheBackgroundThreadOncePerBatchOfNewWalPages) {
  int last = 0;
  EXPECT_EQ(Checkpointer::after_commit(kBackground - 1, last), Step::kNothing);
  EXPECT_EQ(Checkpointer::after_commit(kBackground, last), Step::kAskBackground);
  EXPECT_EQ(last, kBackground);
  EXPECT_EQ(Checkpointer::after_commit(kBackground + 10, last), Step::kNothing);
  EXPECT_EQ(Checkpointer::after_commit(2 * kBackground - 1, last), Step::kNothing);
  EXPECT_EQ(Checkpointer::after_commit(2 * kBackground, last), Step::kAskBackground);
}

TEST(CheckpointPolicy, AsksAfterEveryCommitInTheLastPagesBeforeTheWritersLimit) {
  int last = kWriter - kNear - 5;  // asked just before the zone
  EXPECT_EQ(Checkpointer::after_commit(kWriter - kNear - 1, last), Step::kNothing);
  for (int pages = kWriter - kNear; pages < kWriter; pages += 7) {
    EXPECT_EQ(Checkpointer::after_commit(pages, last), Step::kAskBackground) << pages << " WAL pages";
    EXPECT_EQ(last, pages);
  }
}

TEST(CheckpointPolicy, TheWriterCheckpointsItselfAtItsLimitAndCountsAfreshAfterwards) {
  int last = kWriter - 1;
  EXPECT_EQ(Checkpointer::after_commit(kWriter, last), Step::kCheckpointOnWriter);
  EXPECT_EQ(Checkpointer::after_commit(kWriter + 40, last), Step::kCheckpointOnWriter);  // it was busy
  EXPECT_EQ(last, 0);
  // The WAL started over: a full batch of new pages is needed again.
  EXPECT_EQ(Checkpointer::after_commit(kBackground - 1, last), Step::kNothing);
  EXPECT_EQ(Checkpointer::after_commit(kBackground, last), Step::kAskBackground);
}

TEST(CheckpointPolicy, NoticesThatTheWalStartedOverSinceItLastAsked) {
  int last = 3 * kBackground;
  // A smaller WAL than when it last asked: the background checkpoint
  // finished and the writer restarted the WAL.
  EXPECT_EQ(Checkpointer::after_commit(20, last), Step::kNothing);
  EXPECT_EQ(last, 0);
  EXPECT_EQ(Checkpointer::after_commit(kBackground, last), Step::kAskBackground);
}

}  // namespace
}  // namespace chronohook

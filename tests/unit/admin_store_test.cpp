// The admin API's two ways into the database: the bounded pool of read-only
// readers, and the cursor write the single writer runs.
#include <gtest/gtest.h>

#include <future>

#include "admin/cursor_task.hpp"
#include "admin/reader_pool.hpp"
#include "unit/store_support.hpp"

namespace chronohook::admin {
namespace {

using namespace std::chrono_literals;

class AdminStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = EventStore::open(unit::config_in(dir_));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }

  CursorWrite put(std::string consumer, std::int64_t seq, bool rewind = false) {
    auto out = std::make_shared<CursorWrite>();
    std::promise<Status> done;
    auto future = done.get_future();
    store_->submit_task(cursor_task(std::move(consumer), seq, rewind, out),
                        [&done](Status st) { done.set_value(std::move(st)); });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    const Status st = future.get();
    if (!st) out->kind = CursorWrite::Kind::kFailed;
    return *out;
  }

  unit::TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(AdminStore, ACursorMovesForwardOnlyUnlessRewoundAndNeverPastTheNewestEvent) {
  for (int i = 0; i < 3; ++i) unit::append(*store_, unit::record("d-" + std::to_string(i)));
  EXPECT_EQ(put("billing", 2).kind, CursorWrite::Kind::kWritten);
  EXPECT_EQ(put("billing", 2).kind, CursorWrite::Kind::kWritten);  // the same again is fine
  const CursorWrite back = put("billing", 1);
  EXPECT_EQ(back.kind, CursorWrite::Kind::kBackwards);
  EXPECT_EQ(back.current, 2);
  EXPECT_EQ(put("billing", 1, true).kind, CursorWrite::Kind::kWritten);
  const CursorWrite past = put("billing", 4);
  EXPECT_EQ(past.kind, CursorWrite::Kind::kPastEnd);
  EXPECT_EQ(past.current, 3);
  EXPECT_EQ(put("sync", 3).kind, CursorWrite::Kind::kWritten);

  auto reader = EventReader::open(unit::config_in(dir_).path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader->cursor("billing").value(), 1);
  EXPECT_EQ(reader->cursor("sync").value(), 3);
  EXPECT_EQ(reader->cursor("nobody").value(), std::nullopt);
}

TEST_F(AdminStore, TheReaderPoolRefusesWorkWhenEveryReaderIsBusyAndTheQueueIsFull) {
  unit::append(*store_, unit::record("d-1"));
  auto pool = ReaderPool::open(unit::config_in(dir_).path, 1);
  ASSERT_TRUE(pool.ok()) << pool.error().message;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE((*pool)->try_submit([&](EventReader&) {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  std::promise<std::int64_t> queued;
  ASSERT_TRUE((*pool)->try_submit([&](EventReader& r) { queued.set_value(r.last_seq().value()); }));
  EXPECT_FALSE((*pool)->try_submit([](EventReader&) {}));  // one busy, one waiting: full
  release.set_value();
  auto last = queued.get_future();
  ASSERT_EQ(last.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(last.get(), 1);
  (*pool)->stop();
  EXPECT_FALSE((*pool)->try_submit([](EventReader&) {}));
}

}  // namespace
}  // namespace chronohook::admin

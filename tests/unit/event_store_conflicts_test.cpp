// A delivery id that comes back with another body or event is never
// swallowed: it is stored as a row of its own that points at the first one.
#include <gtest/gtest.h>

#include <cctype>
#include <future>
#include <thread>

#include "chronohook/crypto.hpp"
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
using unit::with_body;
using unit::WriteLock;

TEST(EventStore, ARepeatedDeliveryIdWithAnotherBodyIsStoredAsAFlaggedRowOfItsOwn) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  const AppendOutcome first = append(**store, record("d-1"));
  const AppendOutcome second = append(**store, with_body(record("d-1"), R"({"object":{"id":1,"patient":3}})"));
  EXPECT_EQ(second.kind, AppendOutcome::Kind::kStored);
  EXPECT_GT(second.seq, first.seq);
  EXPECT_EQ(second.attempts, 1);
  EXPECT_EQ(second.conflicts_with, first.seq);
  EXPECT_FALSE(first.conflicts_with.has_value());
  const auto db = dir / "data" / "events.db";
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM events WHERE delivery_id = 'd-1'"), 2);
  EXPECT_EQ(scalar(db, "SELECT conflicts_with FROM events WHERE seq = " + std::to_string(second.seq)), first.seq);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM events WHERE conflicts_with IS NULL"), 1);
  EXPECT_EQ(scalar(db, "SELECT attempts FROM events WHERE seq = " + std::to_string(first.seq)), 1);
}

TEST(EventStore, ARepeatedDeliveryIdWithAnotherEventIsAConflictNotADuplicate) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  const AppendOutcome first = append(**store, record("d-1", "APPOINTMENT_CREATE"));
  const AppendOutcome second = append(**store, record("d-1", "APPOINTMENT_MODIFY"));
  EXPECT_EQ(second.kind, AppendOutcome::Kind::kStored);
  EXPECT_EQ(second.conflicts_with, first.seq);
}

TEST(EventStore, AConflictingBodySentAgainIsADuplicateOfItsOwnRow) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  const AppendOutcome first = append(**store, record("d-1"));
  const EventRecord other = with_body(record("d-1"), R"({"object":{"id":9}})");
  const AppendOutcome conflicting = append(**store, other);
  const AppendOutcome again = append(**store, other);
  EXPECT_EQ(again.kind, AppendOutcome::Kind::kDuplicate);
  EXPECT_EQ(again.seq, conflicting.seq);
  EXPECT_EQ(again.attempts, 2);
  // And the first body again is still the first row's duplicate.
  const AppendOutcome original = append(**store, record("d-1"));
  EXPECT_EQ(original.kind, AppendOutcome::Kind::kDuplicate);
  EXPECT_EQ(original.seq, first.seq);
  // A third body is one more conflicting row, pointing at the first.
  const AppendOutcome third = append(**store, with_body(record("d-1"), R"({"object":{"id":10}})"));
  EXPECT_EQ(third.kind, AppendOutcome::Kind::kStored);
  EXPECT_EQ(third.conflicts_with, first.seq);
  EXPECT_EQ(scalar(dir / "data" / "events.db", "SELECT count(*) FROM events"), 3);
}

TEST(EventStore, ConflictingBodiesInOneBatchAreEachKept) {
  TempDir dir;
  StorageConfig c = config_in(dir);
  auto store = EventStore::open(c);
  ASSERT_TRUE(store.ok());
  std::vector<std::future<AppendOutcome>> outcomes;
  {
    WriteLock lock(c.path);  // the three wait for one group commit
    for (const char* body : {R"({"a":1})", R"({"a":2})", R"({"a":1})"}) {
      auto promise = std::make_shared<std::promise<AppendOutcome>>();
      outcomes.push_back(promise->get_future());
      (*store)->submit(with_body(record("d-1"), body), [promise](AppendOutcome o) { promise->set_value(o); });
    }
    std::this_thread::sleep_for(50ms);
  }
  std::vector<AppendOutcome> got;
  for (auto& f : outcomes) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    got.push_back(f.get());
  }
  EXPECT_EQ(got[0].kind, AppendOutcome::Kind::kStored);
  EXPECT_EQ(got[1].kind, AppendOutcome::Kind::kStored);
  EXPECT_EQ(got[1].conflicts_with, got[0].seq);
  EXPECT_EQ(got[2].kind, AppendOutcome::Kind::kDuplicate);
  EXPECT_EQ(got[2].seq, got[0].seq);
}

TEST(EventStore, StoresThePayloadSha256) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  const EventRecord r = record("d-1");
  append(**store, r);
  auto db = sqlite::Database::open(dir / "data" / "events.db", sqlite::Database::Mode::kReadOnly);
  auto stmt = db->prepare("SELECT hex(payload_sha256) FROM events");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(stmt->step().ok());
  std::string expected = crypto::to_hex(r.payload_sha256.data(), r.payload_sha256.size());
  for (char& ch : expected) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(stmt->column_text(0), expected);
}

}  // namespace
}  // namespace chronohook

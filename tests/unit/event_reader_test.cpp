#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>

#include "chronohook/event_reader.hpp"
#include "chronohook/event_store.hpp"
#include "unit/store_support.hpp"

namespace chronohook {
namespace {

using namespace std::chrono_literals;
using unit::append;
using unit::config_in;
using unit::record;
using unit::TempDir;

EventRecord hook(std::string id, std::string event, std::string patient, std::string at) {
  EventRecord r = record(std::move(id), std::move(event));
  r.patient_id = std::move(patient);
  r.received_at = std::move(at);
  return r;
}

// Six hooks across two days, three patients and three event names.
class Reading : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = EventStore::open(config_in(dir_));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    append(*store_, hook("d1", "PATIENT_CREATE", "10", "2026-11-28T10:00:00.000Z"));
    append(*store_, hook("d2", "APPOINTMENT_CREATE", "10", "2026-11-28T11:00:00.000Z"));
    append(*store_, hook("d3", "PATIENT_MODIFY", "20", "2026-11-29T09:00:00.000Z"));
    append(*store_, hook("d4", "APPOINTMENT_MODIFY", "30", "2026-11-29T10:00:00.000Z"));
    append(*store_, hook("d5", "PATIENT_FLAG_MODIFY", "10", "2026-11-29T11:00:00.000Z"));
    append(*store_, hook("d6", "PING", "", "2026-11-29T12:00:00.000Z"));
    auto reader = EventReader::open(config_in(dir_).path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    reader_.emplace(std::move(*reader));
  }

  std::vector<std::string> ids(const EventFilter& f) {
    auto rows = reader_->list(f);
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const StoredEvent& e : *rows) out.push_back(e.delivery_id);
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::optional<EventReader> reader_;
};

using V = std::vector<std::string>;

TEST_F(Reading, ListsEveryEventInSeqOrderAfterTheCursor) {
  EXPECT_EQ(ids({}), (V{"d1", "d2", "d3", "d4", "d5", "d6"}));
  EventFilter f;
  f.after = 4;
  EXPECT_EQ(ids(f), (V{"d5", "d6"}));
  f.limit = 1;
  EXPECT_EQ(ids(f), (V{"d5"}));
}

TEST_F(Reading, AnEventPatternWithAStarMatchesAPrefixAndNamesAreOred) {
  EventFilter f;
  f.events = {"PATIENT_*"};
  EXPECT_EQ(ids(f), (V{"d1", "d3", "d5"}));
  f.events = {"PING", "APPOINTMENT_MODIFY"};
  EXPECT_EQ(ids(f), (V{"d4", "d6"}));
  f.events = {"PATIENT_FLAG_*", "PING"};
  EXPECT_EQ(ids(f), (V{"d5", "d6"}));
}

TEST_F(Reading, SeveralNamesMergeInSeqOrderWithOrWithoutAPatientAndFromTheNewestEnd) {
  EventFilter f;
  f.events = {"PATIENT_*", "APPOINTMENT_CREATE"};
  f.after = 1;
  EXPECT_EQ(ids(f), (V{"d2", "d3", "d5"}));
  f.patient = "10";
  EXPECT_EQ(ids(f), (V{"d2", "d5"}));
  f.patient.reset();
  f.newest = true;
  f.limit = 2;
  EXPECT_EQ(ids(f), (V{"d3", "d5"}));
  f.events = {"PING*"};  // a prefix also matches the name that is exactly it
  f.newest = false;
  EXPECT_EQ(ids(f), (V{"d6"}));
  f.events = {"NOTHING_*"};
  EXPECT_EQ(ids(f), V{});
  auto n = reader_->count(f);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST_F(Reading, PatientAndTimeBoundsNarrowTogether) {
  EventFilter f;
  f.patient = "10";
  EXPECT_EQ(ids(f), (V{"d1", "d2", "d5"}));
  f.since = "2026-11-29T00:00:00.000Z";
  EXPECT_EQ(ids(f), (V{"d5"}));
  EventFilter g;
  g.until = "2026-11-29T10:00:00.000Z";  // exclusive
  EXPECT_EQ(ids(g), (V{"d1", "d2", "d3"}));
}

TEST_F(Reading, NewestGivesTheLastMatchesStillInAscendingOrder) {
  EventFilter f;
  f.newest = true;
  f.limit = 2;
  EXPECT_EQ(ids(f), (V{"d5", "d6"}));
  auto n = reader_->count(f);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6);
}

TEST_F(Reading, FindsOneEventBySeqAndByDeliveryId) {
  auto one = reader_->by_seq(3);
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->delivery_id, "d3");
  auto none = reader_->by_seq(99);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto by_id = reader_->by_delivery_id("d4");
  ASSERT_TRUE(by_id.ok());
  ASSERT_EQ(by_id->size(), 1u);
  EXPECT_EQ(by_id->front().seq, 4);
  auto last = reader_->last_seq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 6);
}

TEST_F(Reading, SeesRowsCommittedAfterItOpened) {
  append(*store_, hook("d7", "PING", "", "2026-11-29T13:00:00.000Z"));
  EventFilter f;
  f.after = 6;
  EXPECT_EQ(ids(f), (V{"d7"}));
}

TEST_F(Reading, AnEventAsJsonCarriesEveryColumnAndThePayloadAsAnObject) {
  auto one = reader_->by_seq(1);
  ASSERT_TRUE(one.ok() && one->has_value());
  const auto j = nlohmann::json::parse(event_json(**one));
  for (const char* key : {"seq", "webhook", "delivery_id", "event", "received_at", "last_seen_at", "attempts",
                          "object_id", "patient_id", "practice_group_id", "conflicts_with", "payload"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["seq"], 1);
  EXPECT_EQ(j["patient_id"], "10");
  EXPECT_TRUE(j["practice_group_id"].is_null());
  ASSERT_TRUE(j["payload"].is_object());
  EXPECT_EQ(j["payload"]["object"]["id"], 1);
}

TEST(EventJson, EscapesControlCharactersAndQuotesInTextColumns) {
  StoredEvent e;
  e.webhook = "a\"b\\c\n\x01";
  e.payload = "{}";
  const auto j = nlohmann::json::parse(event_json(e));
  EXPECT_EQ(j["webhook"], "a\"b\\c\n\x01");
}

TEST(EventFilterValidation, RefusesPatternsTheQueryCannotExpressNamingTheField) {
  EventFilter f;
  f.events = {"PATIENT_*X"};
  auto st = f.validate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.rfind("event:", 0), 0u);
  f.events = {"A%B"};
  EXPECT_FALSE(f.validate().ok());
  f.events = {"PATIENT_*"};
  EXPECT_TRUE(f.validate().ok());
  f.limit = 0;
  EXPECT_FALSE(f.validate().ok());
}

TEST(EventReaderOpen, SaysWhatIsWrongWithAMissingDatabase) {
  TempDir dir;
  auto r = EventReader::open(dir / "nope.db");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no database"), std::string::npos);
}

TEST(TimeBounds, ParsesRfc3339WithOffsetsDatesAndAges) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'764'400'000));  // 2025-11-29T07:06:40Z
  auto t = parse_time_bound("2026-11-29T08:57:22.5+02:00", now);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t, "2026-11-29T06:57:22.500Z");
  EXPECT_EQ(*parse_time_bound("2026-11-29", now), "2026-11-29T00:00:00.000Z");
  EXPECT_EQ(*parse_time_bound("2026-11-29T06:57:22Z", now), "2026-11-29T06:57:22.000Z");
  EXPECT_EQ(*parse_time_bound("2h", now), "2025-11-29T05:06:40.000Z");
  EXPECT_EQ(*parse_time_bound("7d", now), "2025-11-22T07:06:40.000Z");
  for (const char* bad : {"yesterday", "2026-13-01", "2026-02-30", "2026-11-29T06:57:22", "-2h", "2x", ""}) {
    EXPECT_FALSE(parse_time_bound(bad, now).ok()) << bad;
  }
}

TEST(TimeBounds, AnAgeIsAPositiveNumberAndAUnit) {
  EXPECT_EQ(parse_age("30d")->count(), 30 * 86400);
  EXPECT_EQ(parse_age("90s")->count(), 90);
  EXPECT_FALSE(parse_age("0d").ok());
  EXPECT_FALSE(parse_age("d").ok());
  EXPECT_FALSE(parse_age("5y").ok());
}

TEST(WriterTasks, RunOnTheWriterInTheirOwnTransactionAndRollBackOnError) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  auto run = [&](EventStore::Task task) {
    auto p = std::make_shared<std::promise<Status>>();
    auto f = p->get_future();
    (*store)->submit_task(std::move(task), [p](Status st) { p->set_value(std::move(st)); });
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  };
  EXPECT_TRUE(run([](sqlite::Database& db) {
                return db.exec("INSERT INTO consumer_cursors VALUES ('a', 5, '2026-11-29T00:00:00.000Z')");
              }).ok());
  EXPECT_FALSE(run([](sqlite::Database& db) -> Status {
                 if (auto st = db.exec("UPDATE consumer_cursors SET seq = 9"); !st) return st;
                 return Error{"changed my mind"};
               }).ok());
  EXPECT_EQ(unit::scalar(config_in(dir).path, "SELECT seq FROM consumer_cursors WHERE consumer = 'a'"), 5);
}

TEST(CommitListeners, HearTheHighestCommittedSeqBeforeTheSenderIsAnswered) {
  TempDir dir;
  auto store = EventStore::open(config_in(dir));
  ASSERT_TRUE(store.ok());
  std::atomic<std::int64_t> heard{0};
  (*store)->add_commit_listener([&](std::int64_t seq) { heard.store(seq); });
  const AppendOutcome first = append(**store, record("c1"));
  EXPECT_EQ(heard.load(), first.seq);
  append(**store, record("c1"));  // a duplicate commits nothing new
  EXPECT_EQ(heard.load(), first.seq);
  EXPECT_EQ((*store)->committed_seq(), first.seq);
}

}  // namespace
}  // namespace chronohook

// POST <path>: a hook that passes every check is answered 200 only once it is
// committed, and the row a consumer reads back holds exactly what was sent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Optional;

constexpr const char* kRfc3339Millis = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z";

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// Stores one hook and returns its row, asserting the answer on the way.
Row store_and_read(const Daemon& daemon, const Request& hook) {
  const Response r = daemon.send(hook);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_string_field(r.body, "status"), "stored") << r.body;
  auto row = event_for(daemon.db_path(), "main", delivery_of(hook));
  if (!row) {
    ADD_FAILURE() << "no row for delivery " << delivery_of(hook);
    return {};
  }
  return *row;
}

TEST(Ingest, GoodHookIsAnswered200AndStoredWithEveryColumn) {
  Daemon daemon;
  // Whitespace, key order, escapes and raw UTF-8 exactly as a sender might
  // format them: the payload column must keep these bytes, not a re-encoding.
  const std::string body =
      "{\n  \"receiver\": {\"id\": 31, \"callback_url\": \"https://hooks.example.test/webhook\"},\n"
      "  \"object\": {\"id\": 5551, \"patient\": \"77001\", \"first_name\": \"Test\",\n"
      "              \"last_name\": \"Patient-0001\", \"note\": \"caf\xC3\xA9 \\u00e9 \\\"q\\\" \\n\"},\n"
      "  \"practice_group_id\": 7001\n}\n";
  const Request hook = signed_hook(kMainSecret, "APPOINTMENT_CREATE", body);
  const std::string before = utc_now_millis();
  const Response r = daemon.send(hook);
  const std::string after = utc_now_millis();

  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(json_string_field(r.body, "status"), "stored") << r.body;
  const auto seq = json_int_field(r.body, "seq");
  ASSERT_TRUE(seq.has_value()) << r.body;

  const auto rows = all_events(daemon.db_path());
  ASSERT_EQ(rows.size(), 1u);
  const Row& row = rows[0];
  EXPECT_THAT(row.at("seq"), Optional(std::to_string(*seq)));
  EXPECT_THAT(row.at("webhook"), Optional(std::string("main")));
  EXPECT_THAT(row.at("delivery_id"), Optional(delivery_of(hook)));
  EXPECT_THAT(row.at("event"), Optional(std::string("APPOINTMENT_CREATE")));
  ASSERT_TRUE(row.at("received_at").has_value());
  EXPECT_THAT(*row.at("received_at"), MatchesRegex(kRfc3339Millis));
  EXPECT_GE(*row.at("received_at"), before.substr(0, 19));  // second precision: clocks round differently
  EXPECT_LE(row.at("received_at")->substr(0, 19), after.substr(0, 19));
  EXPECT_THAT(row.at("payload"), Optional(body));
  EXPECT_THAT(row.at("object_id"), Optional(std::string("5551")));
  EXPECT_THAT(row.at("patient_id"), Optional(std::string("77001")));
  EXPECT_THAT(row.at("practice_group_id"), Optional(std::string("7001")));
  EXPECT_THAT(row.at("attempts"), Optional(std::string("1")));
  EXPECT_EQ(row.at("last_seen_at"), row.at("received_at"));
}

TEST(Ingest, PatientEventsTakeThePatientIdFromObjectId) {
  Daemon daemon;
  const Row created = store_and_read(
      daemon, signed_hook(kMainSecret, "PATIENT_CREATE",
                          R"({"receiver":{"id":31},"object":{"id":4242,"first_name":"Test","last_name":"Patient-0002",)"
                          R"("patient":999},"practice_group_id":7001})"));
  EXPECT_THAT(created.at("object_id"), Optional(std::string("4242")));
  EXPECT_THAT(created.at("patient_id"), Optional(std::string("4242")));

  const Row modified = store_and_read(
      daemon, signed_hook(kMainSecret, "PATIENT_MODIFY",
                          R"({"receiver":{"id":31},"object":{"id":"p-4243","last_name":"Patient-0003"}})"));
  EXPECT_THAT(modified.at("object_id"), Optional(std::string("p-4243")));
  EXPECT_THAT(modified.at("patient_id"), Optional(std::string("p-4243")));
  EXPECT_EQ(modified.at("practice_group_id"), std::nullopt);
}

TEST(Ingest, IdsArrivingAsStringsOrNumbersAreStoredAsText) {
  Daemon daemon;
  const Row row = store_and_read(
      daemon, signed_hook(kMainSecret, "TASK_MODIFY",
                          R"({"receiver":{"id":"31"},"object":{"id":"T-17","patient":88,"title":"Test task"},)"
                          R"("practice_group_id":"pg-3"})"));
  EXPECT_THAT(row.at("object_id"), Optional(std::string("T-17")));
  EXPECT_THAT(row.at("patient_id"), Optional(std::string("88")));
  EXPECT_THAT(row.at("practice_group_id"), Optional(std::string("pg-3")));
}

TEST(Ingest, OnlyTopLevelObjectIdsFillTheIdColumns) {
  Daemon daemon;
  // Ids nested deeper, or under other keys, are not the object's.
  const Row row = store_and_read(
      daemon, signed_hook(kMainSecret, "APPOINTMENT_MODIFY",
                          R"({"receiver":{"id":31,"patient":5},"object":{"profile":{"id":6,"patient":7},)"
                          R"("items":[{"id":8}]},"other":{"practice_group_id":9}})"));
  EXPECT_EQ(row.at("object_id"), std::nullopt);
  EXPECT_EQ(row.at("patient_id"), std::nullopt);
  EXPECT_EQ(row.at("practice_group_id"), std::nullopt);
}

TEST(Ingest, PingIsStored) {
  Daemon daemon;
  const Request ping = signed_hook(kMainSecret, "PING", R"({"receiver":{"id":31}})");
  const Row row = store_and_read(daemon, ping);
  EXPECT_THAT(row.at("event"), Optional(std::string("PING")));
  EXPECT_EQ(row.at("object_id"), std::nullopt);
  EXPECT_EQ(row.at("patient_id"), std::nullopt);
  EXPECT_THAT(daemon.log_text(), ::testing::Not(HasSubstr("unknown event name PING")));
}

TEST(Ingest, DuplicateDeliveryIsStoredOnceAndCounted) {
  Daemon daemon;
  const Request hook = signed_hook(kMainSecret, "APPOINTMENT_MODIFY");
  const Response first = daemon.send(hook);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json_string_field(first.body, "status"), "stored");

  // drchrono's retry: the same delivery, event and body.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // so last_seen_at must move
  const Request retry = hook;
  const Response second = daemon.send(retry);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(json_string_field(second.body, "status"), "duplicate") << second.body;
  EXPECT_EQ(json_int_field(second.body, "seq"), json_int_field(first.body, "seq"));

  const auto rows = all_events(daemon.db_path());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0].at("attempts"), Optional(std::string("2")));
  EXPECT_THAT(rows[0].at("payload"), Optional(hook.body));
  ASSERT_TRUE(rows[0].at("last_seen_at").has_value());
  EXPECT_THAT(*rows[0].at("last_seen_at"), MatchesRegex(kRfc3339Millis));
  EXPECT_GT(*rows[0].at("last_seen_at"), *rows[0].at("received_at"));
}

TEST(Ingest, ConcurrentRetriesOfOneDeliveryAreStoredOnce) {
  Daemon daemon;
  constexpr int kSenders = 8;
  const Request hook = signed_hook(kMainSecret, "LAB_ORDER_CREATE");
  std::vector<std::string> statuses(kSenders);
  std::vector<std::thread> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back([&, i] {
      try {
        const Response r = daemon.send(hook);
        statuses[static_cast<std::size_t>(i)] =
            r.status == 200 ? json_string_field(r.body, "status").value_or("?") : std::to_string(r.status);
      } catch (const std::exception& e) {
        statuses[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (std::thread& t : senders) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "stored"), 1) << ::testing::PrintToString(statuses);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "duplicate"), kSenders - 1)
      << ::testing::PrintToString(statuses);
  const auto rows = all_events(daemon.db_path());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0].at("attempts"), Optional(std::to_string(kSenders)));
}

TEST(Ingest, UnknownButWellFormedEventIsStoredAndLoggedOnce) {
  Daemon daemon;
  // Random per run, upper-cased: event names are [A-Z0-9_].
  std::string name = "ZZ_FUTURE_EVENT_" + random_hex(3);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const Request a = signed_hook(kMainSecret, name);
  const Request b = signed_hook(kMainSecret, name);
  EXPECT_EQ(daemon.send(a).status, 200);
  EXPECT_EQ(daemon.send(b).status, 200);
  EXPECT_EQ(count_events(daemon.db_path()), 2);
  EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery_of(a)).has_value());

  ASSERT_EQ(daemon.stop(), 0);
  EXPECT_EQ(count_occurrences(daemon.log_text(), "unknown event name " + name), 1u) << daemon.log_tail();
}

TEST(Ingest, EveryDocumentedEventIsStoredAndNoneIsLoggedAsUnknown) {
  Daemon daemon;
  const std::vector<std::string> events = {"APPOINTMENT_CREATE",
                                           "APPOINTMENT_MODIFY",
                                           "APPOINTMENT_DELETE",
                                           "CASH_PAYMENT_DELETE",
                                           "CLINICAL_NOTE_LOCK",
                                           "CLINICAL_NOTE_UNLOCK",
                                           "LAB_ORDER_CREATE",
                                           "LAB_ORDER_MODIFY",
                                           "LAB_ORDER_DELETE",
                                           "LINE_ITEM_CREATE",
                                           "LINE_ITEM_MODIFY",
                                           "LINE_ITEM_DELETE",
                                           "LINE_ITEM_TRANSACTION_DELETE",
                                           "PATIENT_CREATE",
                                           "PATIENT_MODIFY",
                                           "PATIENT_ALLERGY_CREATE",
                                           "PATIENT_ALLERGY_MODIFY",
                                           "PATIENT_FLAG_CREATE",
                                           "PATIENT_FLAG_CMODIFY",
                                           "PATIENT_FLAG_MODIFY",
                                           "PATIENT_PROBLEM_CREATE",
                                           "PATIENT_PROBLEM_MODIFY",
                                           "PATIENT_MEDICATION_CREATE",
                                           "PATIENT_MEDICATION_MODIFY",
                                           "TASK_CREATE",
                                           "TASK_MODIFY",
                                           "TASK_DELETE",
                                           "VACCINE_ADMINISTERED",
                                           "PING"};
  auto connection = daemon.connect();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Response r =
        connection->send(signed_hook(kMainSecret, events[i], synthetic_payload(events[i], static_cast<int>(i) + 1)));
    EXPECT_EQ(r.status, 200) << events[i] << ": " << r.body;
  }
  EXPECT_EQ(count_events(daemon.db_path()), static_cast<std::int64_t>(events.size()));
  ASSERT_EQ(daemon.stop(), 0);
  EXPECT_THAT(daemon.log_text(), ::testing::Not(HasSubstr("unknown event name")));
}

TEST(Ingest, HeaderNamesAreCaseInsensitive) {
  Daemon daemon;
  Request hook = signed_hook(kMainSecret, "TASK_CREATE");
  const std::string delivery = delivery_of(hook);
  for (Header& h : hook.headers) {
    for (char& c : h.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const Response r = daemon.send(hook);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery).has_value());
}

TEST(Ingest, ExpectContinueGetsAnInterim100AndTheHookIsStored) {
  Daemon daemon;
  Request hook = signed_hook(kMainSecret, "TASK_CREATE");
  hook.headers.push_back({"Expect", "100-continue"});
  auto connection = daemon.connect();
  connection->write(hook.serialize_head(hook.body.size()));
  const Response interim = connection->read_response();
  EXPECT_EQ(interim.status, 100);
  connection->write(hook.body);
  const Response final_response = connection->read_response();
  EXPECT_EQ(final_response.status, 200) << final_response.body;
  EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery_of(hook)).has_value());
}

}  // namespace
}  // namespace chronohook::testing

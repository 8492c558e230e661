// A delivery id that comes back with another body is not a retry: both bodies
// must reach the consumer. The second is stored as its own row, flagged with
// conflicts_with, counted and logged (without payload bytes); that same second
// body sent again is a retry of the second row.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

TEST(ConflictingDelivery, ASecondBodyUnderTheSameDeliveryIdIsKeptFlaggedAndItsRetryIsADuplicate) {
  Daemon daemon;
  const std::string marker = "ZZCONFLICT" + random_hex(6);
  const Request first = signed_hook(kMainSecret, "APPOINTMENT_MODIFY", synthetic_payload("APPOINTMENT_MODIFY", 3001));
  const Request second = signed_hook(kMainSecret, "APPOINTMENT_MODIFY",
                                     synthetic_payload("APPOINTMENT_MODIFY", 3002, marker), delivery_of(first));

  const Response r1 = daemon.send(first);
  ASSERT_EQ(r1.status, 200) << r1.body;
  EXPECT_EQ(json_string_field(r1.body, "status"), "stored") << r1.body;
  EXPECT_EQ(json_int_field(r1.body, "conflicts_with"), std::nullopt) << r1.body;
  const auto seq1 = json_int_field(r1.body, "seq");
  ASSERT_TRUE(seq1.has_value());

  const Response r2 = daemon.send(second);
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ(json_string_field(r2.body, "status"), "stored") << "a different body was swallowed: " << r2.body;
  EXPECT_EQ(json_int_field(r2.body, "conflicts_with"), seq1) << r2.body;
  const auto seq2 = json_int_field(r2.body, "seq");
  ASSERT_TRUE(seq2.has_value());
  EXPECT_GT(*seq2, *seq1);

  const Response r3 = daemon.send(second);
  ASSERT_EQ(r3.status, 200) << r3.body;
  EXPECT_EQ(json_string_field(r3.body, "status"), "duplicate") << r3.body;
  EXPECT_EQ(json_int_field(r3.body, "seq"), seq2) << r3.body;

  const auto rows = all_events(daemon.db_path());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(rows[0].at("payload"), Optional(first.body));
  EXPECT_EQ(rows[0].at("conflicts_with"), std::nullopt);
  EXPECT_THAT(rows[0].at("attempts"), Optional(std::string("1")));
  EXPECT_THAT(rows[1].at("payload"), Optional(second.body));
  EXPECT_THAT(rows[1].at("delivery_id"), Optional(delivery_of(first)));
  EXPECT_THAT(rows[1].at("conflicts_with"), Optional(std::to_string(*seq1)));
  EXPECT_THAT(rows[1].at("attempts"), Optional(std::string("2")));
  EXPECT_EQ(ReadOnlyDb(daemon.db_path()).count("SELECT count(DISTINCT payload_sha256) FROM events"), 2);

  ASSERT_EQ(daemon.stop(), 0);
  const std::string log = daemon.log_text();
  EXPECT_THAT(log, HasSubstr("conflicting delivery webhook=main delivery=" + delivery_of(first)));
  EXPECT_THAT(log, HasSubstr("1 conflicting delivery id(s)"));
  EXPECT_THAT(log, Not(HasSubstr(marker)));
}

TEST(ConflictingDelivery, TheSameBodyUnderAnotherEventNameIsAlsoKept) {
  Daemon daemon;
  const std::string body = synthetic_payload("TASK_CREATE", 4001);
  const Request created = signed_hook(kMainSecret, "TASK_CREATE", body);
  const Request modified = signed_hook(kMainSecret, "TASK_MODIFY", body, delivery_of(created));
  ASSERT_EQ(daemon.send(created).status, 200);
  const Response r = daemon.send(modified);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_string_field(r.body, "status"), "stored") << r.body;
  EXPECT_EQ(count_events(daemon.db_path()), 2);
}

}  // namespace
}  // namespace chronohook::testing

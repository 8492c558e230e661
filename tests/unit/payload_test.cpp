#include <gtest/gtest.h>

#include "chronohook/payload.hpp"

namespace chronohook {
namespace {

constexpr std::size_t kDepth = 64;

TEST(Payload, ExtractsNumericIdsAsText) {
  auto r = scan_payload(R"({"receiver":{"id":1},"object":{"id":101,"patient":202},"practice_group_id":303})", kDepth);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->object_id, "101");
  EXPECT_EQ(r->object_patient, "202");
  EXPECT_EQ(r->practice_group_id, "303");
}

TEST(Payload, ExtractsStringIdsAsTheyAre) {
  auto r = scan_payload(R"({"object":{"id":"A-17","patient":"9001"},"practice_group_id":"12"})", kDepth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->object_id, "A-17");
  EXPECT_EQ(r->object_patient, "9001");
  EXPECT_EQ(r->practice_group_id, "12");
}

TEST(Payload, IgnoresIdsNestedDeeperThanTheObject) {
  auto r = scan_payload(R"({"object":{"doctor":{"id":5},"items":[{"patient":6}]},"receiver":{"id":7}})", kDepth);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->object_id.has_value());
  EXPECT_FALSE(r->object_patient.has_value());
}

TEST(Payload, FindsIdsWhateverTheKeyOrder) {
  auto r = scan_payload(R"({"practice_group_id":1,"object":{"notes":{"id":9,"x":[1,2]},"patient":3,"id":4}})", kDepth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->object_id, "4");
  EXPECT_EQ(r->object_patient, "3");
  EXPECT_EQ(r->practice_group_id, "1");
}

TEST(Payload, LeavesNullBooleanAndStructuredIdsEmpty) {
  auto r = scan_payload(R"({"object":{"id":null,"patient":{"id":1}},"practice_group_id":true})", kDepth);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->object_id.has_value());
  EXPECT_FALSE(r->object_patient.has_value());
  EXPECT_FALSE(r->practice_group_id.has_value());
}

TEST(Payload, KeepsEveryNumberAsText) {
  auto r = scan_payload(R"({"object":{"id":4242.0,"patient":123456789012345678901234},"practice_group_id":1.5})",
                        kDepth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->object_id, "4242");
  EXPECT_EQ(r->object_patient, "123456789012345678901234");
  EXPECT_EQ(r->practice_group_id, "1.5");
  auto exp = scan_payload(R"({"object":{"id":4.242e3}})", kDepth);
  ASSERT_TRUE(exp.ok());
  EXPECT_EQ(exp->object_id, "4242");
}

TEST(Payload, AcceptsAPingWithoutAnObject) {
  auto r = scan_payload(R"({"receiver":{"id":3}})", kDepth);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->object_id.has_value());
}

TEST(Payload, AcceptsNegativeAndLargeIntegers) {
  auto r = scan_payload(R"({"object":{"id":-3,"patient":18446744073709551615}})", kDepth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->object_id, "-3");
  EXPECT_EQ(r->object_patient, "18446744073709551615");
}

TEST(Payload, RefusesWhatIsNotAJsonObject) {
  for (std::string_view body : {"", "   ", "[]", "[{}]", "\"text\"", "42", "null", "true"}) {
    EXPECT_FALSE(scan_payload(body, kDepth).ok()) << body;
  }
}

TEST(Payload, RefusesMalformedJson) {
  for (std::string_view body : {"{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1} trailing", "{\"a\":\"\xff\"}",
                                "{\"a\":1}{\"b\":2}"}) {
    EXPECT_FALSE(scan_payload(body, kDepth).ok()) << body;
  }
}

TEST(Payload, RefusesNestingDeeperThanTheLimitWithoutRecursing) {
  const std::string deep_arrays = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = scan_payload(deep_arrays, kDepth);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("deeper"), std::string::npos);

  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += "{\"a\":";
  EXPECT_FALSE(scan_payload(deep_objects, kDepth).ok());
}

TEST(Payload, AcceptsNestingExactlyAtTheLimit) {
  // The top-level object is depth 1.
  const std::string at_limit = "{\"a\":" + std::string(kDepth - 1, '[') + std::string(kDepth - 1, ']') + "}";
  EXPECT_TRUE(scan_payload(at_limit, kDepth).ok());
  const std::string over = "{\"a\":" + std::string(kDepth, '[') + std::string(kDepth, ']') + "}";
  EXPECT_FALSE(scan_payload(over, kDepth).ok());
}

TEST(Payload, ErrorMessagesNeverQuoteTheBody) {
  const std::string body = R"({"object":{"name":"ZZMARKER-Test Patient"}, oops})";
  auto r = scan_payload(body, kDepth);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("ZZMARKER"), std::string::npos);
  EXPECT_EQ(r.error().message.find("oops"), std::string::npos);
}

}  // namespace
}  // namespace chronohook

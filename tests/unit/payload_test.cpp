#include <gtest/gtest.h>

#include <random>

#include "chronohook/payload.hpp"
#include "unit/payload_oracle.hpp"

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
  auto r =
      scan_payload(R"({"object":{"id":4242.0,"patient":123456789012345678901234},"practice_group_id":1.5})", kDepth);
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
  for (std::string_view body :
       {"{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1} trailing", "{\"a\":\"\xff\"}", "{\"a\":1}{\"b\":2}"}) {
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

// Differential test: the hand-written scanner must accept exactly what
// nlohmann's strict parser accepts and extract the same ids, over generated
// documents and mutations of them.
namespace chronohook {
namespace {

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  std::string document() {
    std::string out;
    object(out, 0);
    return out;
  }

  std::string mutate(std::string doc) {
    static constexpr std::string_view kAlphabet = "{}[]\",:\\ -+.eE0123456789abfnrtuDd\x01\x7f\xc3\xa9\xff\xed\xa0";
    const int edits = 1 + pick(3);
    for (int i = 0; i < edits && !doc.empty(); ++i) {
      const std::size_t at = static_cast<std::size_t>(pick(static_cast<int>(doc.size())));
      switch (pick(4)) {
        case 0:
          doc[at] = kAlphabet[static_cast<std::size_t>(pick(static_cast<int>(kAlphabet.size())))];
          break;
        case 1:
          doc.insert(at, 1, kAlphabet[static_cast<std::size_t>(pick(static_cast<int>(kAlphabet.size())))]);
          break;
        case 2:
          doc.erase(at, 1);
          break;
        default:
          doc.resize(at);
      }
    }
    return doc;
  }

 private:
  int pick(int n) { return n <= 1 ? 0 : static_cast<int>(rng_() % static_cast<unsigned>(n)); }

  void object(std::string& out, int depth) {
    out += '{';
    const int members = pick(5);
    for (int i = 0; i < members; ++i) {
      if (i) out += pick(8) == 0 ? " , " : ",";
      key(out, depth);
      out += pick(6) == 0 ? " : " : ":";
      value(out, depth + 1);
    }
    out += '}';
  }

  void key(std::string& out, int depth) {
    static constexpr std::string_view kKeys[] = {
        "\"object\"",   "\"id\"",           "\"patient\"",  "\"practice_group_id\"",
        "\"receiver\"", "\"\\u006fbject\"", "\"i\\u0064\"", "\"name\""};
    out += depth <= 2 && pick(3) != 0 ? kKeys[pick(8)] : "\"k" + std::to_string(pick(50)) + "\"";
  }

  void value(std::string& out, int depth) {
    const int kind = depth > 6 ? 2 + pick(6) : pick(8);
    switch (kind) {
      case 0:
        object(out, depth);
        break;
      case 1: {
        out += '[';
        const int n = pick(4);
        for (int i = 0; i < n; ++i) {
          if (i) out += ',';
          value(out, depth + 1);
        }
        out += ']';
        break;
      }
      case 2:
      case 3:
        number(out);
        break;
      case 4:
      case 5:
        string(out);
        break;
      case 6:
        out += pick(2) ? "true" : "false";
        break;
      default:
        out += "null";
    }
  }

  void number(std::string& out) {
    static constexpr std::string_view kNumbers[] = {"0",
                                                    "-0",
                                                    "42",
                                                    "-17",
                                                    "4242.0",
                                                    "4.242e3",
                                                    "1.5",
                                                    "1e400",
                                                    "-1E-3",
                                                    "9223372036854775807",
                                                    "9223372036854775808",
                                                    "18446744073709551616",
                                                    "-9223372036854775809",
                                                    "0.0",
                                                    "1e2",
                                                    "123456789012345678901234567890"};
    out += kNumbers[pick(16)];
  }

  void string(std::string& out) {
    static constexpr std::string_view kStrings[] = {"\"\"",
                                                    "\"A-17\"",
                                                    "\"9001\"",
                                                    "\"caf\xc3\xa9\"",
                                                    "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
                                                    "\"\\u00e9\\u20ac\"",
                                                    "\"\\ud83d\\ude00\"",
                                                    "\"Test Patient-0001\"",
                                                    "\"\\u0000\""};
    out += kStrings[pick(9)];
  }

  std::mt19937 rng_;
};

struct Tally {
  int accepted = 0;
  int refused = 0;
  int with_ids = 0;
};

void expect_same(const std::string& doc, Tally* tally = nullptr) {
  const auto mine = scan_payload(doc, kDepth);
  const auto reference = oracle::reference_scan_payload(doc, kDepth);
  ASSERT_EQ(mine.ok(), reference.ok()) << "document: " << doc;
  if (tally) {
    ++(mine.ok() ? tally->accepted : tally->refused);
    if (mine.ok() && (mine->object_id || mine->object_patient || mine->practice_group_id)) ++tally->with_ids;
  }
  if (!mine.ok()) return;
  EXPECT_EQ(mine->object_id, reference->object_id) << doc;
  EXPECT_EQ(mine->object_patient, reference->object_patient) << doc;
  EXPECT_EQ(mine->practice_group_id, reference->practice_group_id) << doc;
}

TEST(PayloadDifferential, AgreesWithNlohmannOnGeneratedDocuments) {
  Generator gen(20261129);
  Tally tally;
  for (int i = 0; i < 20000; ++i) {
    const std::string doc = gen.document();
    ASSERT_NO_FATAL_FAILURE(expect_same(doc, &tally));
    ASSERT_NO_FATAL_FAILURE(expect_same(gen.mutate(doc), &tally));
  }
  // The corpus exercised both answers and the extraction, not just one path.
  EXPECT_GT(tally.accepted, 5000);
  EXPECT_GT(tally.refused, 5000);
  EXPECT_GT(tally.with_ids, 1000);
}

TEST(PayloadDifferential, AgreesWithNlohmannOnEdgeCases) {
  for (std::string doc : {
           "{}",
           " {} ",
           "\xEF\xBB\xBF{}",
           "{}\xEF\xBB\xBF",
           "\t{\n}\r\n",
           "{\"a\":01}",
           "{\"a\":1.}",
           "{\"a\":.5}",
           "{\"a\":-}",
           "{\"a\":1e}",
           "{\"a\":1e+}",
           "{\"a\":+1}",
           "{\"a\":tru}",
           "{\"a\":nulll}",
           "{\"a\":\"\\x\"}",
           "{\"a\":\"\\u12\"}",
           "{\"a\":\"\\ud800\"}",
           "{\"a\":\"\\udc00\"}",
           "{\"a\":\"\\ud800\\u0041\"}",
           "{\"a\":\"\x01\"}",
           "{\"a\":\"\x7f\"}",
           "{\"a\":\"\xc0\xaf\"}",
           "{\"a\":\"\xed\xa0\x80\"}",
           "{\"a\":\"\xf4\x90\x80\x80\"}",
           "{\"a\":\"\xe0\x80\x80\"}",
           "{\"a\":\"\xf0\x8f\xbf\xbf\"}",
           "{\"a\" 1}",
           "{\"a\":1 \"b\":2}",
           "{,}",
           "{\"a\":[1,,2]}",
           "{\"a\":[,]}",
           "{\"a\":[1 2]}",
           "{1:2}",
           "{\"object\":{\"id\":1e400}}",
           "{\"object\":{\"id\":-1e-400}}",
           "{\"object\":{\"id\":\"\\u0031\\u0032\"}}",
           "{\"\\u006fbject\":{\"\\u0069d\":7}}",
           "{\"object\":{\"id\":1,\"id\":2}}",
           "{\"object\":{\"id\":1,\"id\":null}}",
           "{\"object\":{\"id\":{\"x\":1}}}",
           "{\"object\":[{\"id\":1}]}",
           "{\"object\":{\"patient\":[3]}}",
           "{\"practice_group_id\":[5]}",
           "{\"object\":{\"id\":1}, \"object\":2}",
           "[]",
           "1",
           "\"s\"",
           "null",
           "{\"a\":1}x",
           "{\"a\":1}{",
           "",
           " ",
           "{",
           "}",
           "{\"a\"",
           "{\"a\":",
           "{\"a\":\"",
           "{\"a\":\"\\",
       }) {
    ASSERT_NO_FATAL_FAILURE(expect_same(doc)) << doc;
  }
}

}  // namespace
}  // namespace chronohook

#include <gtest/gtest.h>

#include "chronohook/query.hpp"

namespace chronohook {
namespace {

std::string decoded(std::string_view s) {
  auto r = form_decode(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : std::string("<error>");
}

TEST(FormDecode, TurnsPlusIntoSpaceAndPercent2BIntoPlus) {
  EXPECT_EQ(decoded("a+b"), "a b");
  EXPECT_EQ(decoded("a%2Bb"), "a+b");
  EXPECT_EQ(decoded("a%2bb"), "a+b");
}

TEST(FormDecode, DecodesEscapesAsBytes) {
  EXPECT_EQ(decoded("caf%C3%A9"), "caf\xC3\xA9");
  EXPECT_EQ(decoded("%00"), std::string(1, '\0'));
  EXPECT_EQ(decoded("%25"), "%");
  EXPECT_EQ(decoded(""), "");
}

TEST(FormDecode, RefusesMalformedEscapes) {
  for (std::string_view bad : {"%", "%2", "%G0", "%0G", "abc%", "abc%4", "%%41"}) {
    EXPECT_FALSE(form_decode(bad).ok()) << bad;
  }
}

TEST(QueryParameter, FindsTheValueAndIgnoresOtherParameters) {
  auto r = query_parameter("a=1&msg=hello&b=2", "msg");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value(), "hello");
}

TEST(QueryParameter, TakesTheLastValueLikeDjango) {
  auto r = query_parameter("msg=one&msg=two", "msg");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value(), "two");
}

TEST(QueryParameter, SaysAbsentWhenTheParameterIsMissing) {
  auto r = query_parameter("message=x&ms=y", "msg");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  auto empty = query_parameter("", "msg");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
}

TEST(QueryParameter, TreatsABareNameAsAnEmptyValue) {
  auto r = query_parameter("msg", "msg");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value(), "");
}

TEST(QueryParameter, DecodesKeysBeforeComparing) {
  auto r = query_parameter("m%73g=x", "msg");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value(), "x");
}

TEST(QueryParameter, KeepsEqualsSignsInsideTheValue) {
  auto r = query_parameter("msg=a=b", "msg");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value(), "a=b");
}

TEST(QueryParameter, ReportsAMalformedValueWithoutEchoingIt) {
  auto r = query_parameter("msg=secretish%zz", "msg");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("secretish"), std::string::npos);
}

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9"));
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));      // euro sign
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));  // emoji
}

TEST(Utf8, RefusesMalformedSequences) {
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("a\x80"));
}

}  // namespace
}  // namespace chronohook

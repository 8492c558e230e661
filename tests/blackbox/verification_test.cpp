// GET <path>?msg=<v>: drchrono's verification handshake. The answer must be
// hex(HMAC-SHA256(current secret, decoded v)); the expected value is computed
// here with OpenSSL's HMAC(), independently of the daemon's own code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/daemon.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::MatchesRegex;

// One daemon for the simple cases; each test still checks a distinct row.
class Verification : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new Daemon(); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  static Response get(std::string_view raw_query) { return daemon_->send(verification_get(raw_query)); }

  static void expect_token_for(std::string_view raw_query, std::string_view decoded) {
    const Response r = get(raw_query);
    ASSERT_EQ(r.status, 200) << raw_query << " -> " << r.body;
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
    const auto token = json_string_field(r.body, "secret_token");
    ASSERT_TRUE(token.has_value()) << r.body;
    EXPECT_THAT(*token, MatchesRegex("[0-9a-f]{64}"));
    EXPECT_EQ(*token, expected_hmac_hex(kMainSecret, decoded)) << "msg=" << raw_query;
  }

  static void expect_400(std::string_view raw_query) {
    const Response r = get(raw_query);
    EXPECT_EQ(r.status, 400) << raw_query << " -> " << r.body;
    EXPECT_TRUE(is_error_body(r.body)) << r.body;
  }

  static Daemon* daemon_;
};

Daemon* Verification::daemon_ = nullptr;

TEST_F(Verification, AnswersTheHmacOfAPlainMsgWithTheCurrentSecret) {
  ASSERT_NE(daemon_, nullptr);
  expect_token_for("msg=n0nce-4f2a9", "n0nce-4f2a9");
}

TEST_F(Verification, DecodesPlusAsSpaceAndPercent2BAsPlus) {
  ASSERT_NE(daemon_, nullptr);
  expect_token_for("msg=a+b%2Bc", "a b+c");
  expect_token_for("msg=%2b%2B+", "++ ");
}

TEST_F(Verification, DecodesUtf8PercentEscapesAsBytes) {
  ASSERT_NE(daemon_, nullptr);
  expect_token_for("msg=caf%C3%A9%20%E2%9C%93", "caf\xC3\xA9 \xE2\x9C\x93");
  expect_token_for("msg=%F0%9F%A9%BA", "\xF0\x9F\xA9\xBA");
}

TEST_F(Verification, DecodesAnEscapedNulByteAsPartOfTheMessage) {
  ASSERT_NE(daemon_, nullptr);
  expect_token_for("msg=a%00b", std::string("a\0b", 3));
}

TEST_F(Verification, FindsMsgAmongOtherQueryParameters) {
  ASSERT_NE(daemon_, nullptr);
  expect_token_for("foo=1&msg=xyz&bar=2", "xyz");
}

TEST_F(Verification, KeepsEqualsSignsInsideTheValue) {
  ASSERT_NE(daemon_, nullptr);
  expect_token_for("msg=a=b", "a=b");
  expect_token_for("msg=a%3Db%26c", "a=b&c");
}

// An integrator may register a callback URL that has a query of its own;
// drchrono then appends msg to it.
TEST_F(Verification, WorksForACallbackUrlWithItsOwnQueryString) {
  ASSERT_NE(daemon_, nullptr);
  expect_token_for("clinic=7&msg=n0nce", "n0nce");
  const Request hook = signed_hook(kMainSecret, "TASK_CREATE", "", "", "/webhook?clinic=7");
  EXPECT_EQ(daemon_->send(hook).status, 200);
}

TEST_F(Verification, MissingMsgIsABadRequest) {
  ASSERT_NE(daemon_, nullptr);
  const Response bare = daemon_->send(Request{"GET", "/webhook", {}, ""});
  EXPECT_EQ(bare.status, 400) << bare.body;
  EXPECT_TRUE(is_error_body(bare.body)) << bare.body;
  expect_400("other=1");
  expect_400("message=abc");
}

TEST_F(Verification, MalformedPercentEscapeIsABadRequest) {
  ASSERT_NE(daemon_, nullptr);
  for (std::string_view q : {"msg=%G1", "msg=abc%4", "msg=abc%", "msg=%%41", "msg=%zz"}) expect_400(q);
}

TEST_F(Verification, MsgThatIsNotUtf8OnceDecodedIsABadRequest) {
  ASSERT_NE(daemon_, nullptr);
  for (std::string_view q : {"msg=%FF", "msg=caf%C3", "msg=%ED%A0%80", "msg=%C0%AF"}) expect_400(q);
}

TEST_F(Verification, MsgAtTheLimitIsAnsweredAndOneByteLongerIsABadRequest) {
  ASSERT_NE(daemon_, nullptr);
  const std::string at_limit(1024, 'a');
  expect_token_for("msg=" + at_limit, at_limit);
  expect_400("msg=" + std::string(1025, 'a'));
  // The bound is on the message, not the whole query: 1025 decoded bytes
  // spelled as 1025 escapes is still too long.
  std::string escaped;
  for (int i = 0; i < 1025; ++i) escaped += "%41";
  expect_400("msg=" + escaped);
}

TEST(VerificationLimits, IsRateLimitedPerWebhookWith429AndRetryAfter) {
  ConfigOptions options;
  options.verify_rate_per_minute = 3;
  Daemon daemon(options);
  for (int i = 0; i < 3; ++i) {
    const Response ok = daemon.send(verification_get("msg=rl" + std::to_string(i)));
    ASSERT_EQ(ok.status, 200) << "request " << i << ": " << ok.body;
  }
  const Response limited = daemon.send(verification_get("msg=rl-over"));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_TRUE(is_error_body(limited.body)) << limited.body;
  const auto retry_after = limited.header("Retry-After");
  ASSERT_TRUE(retry_after.has_value());
  EXPECT_THAT(*retry_after, MatchesRegex("[1-9][0-9]*"));

  // The limit guards the HMAC oracle only: hooks keep flowing.
  const Response hook = daemon.send(signed_hook(kMainSecret));
  EXPECT_EQ(hook.status, 200) << hook.body;
}

TEST(VerificationLimits, EachWebhookHasItsOwnRateLimit) {
  ConfigOptions options;
  options.verify_rate_per_minute = 2;
  WebhookSpec other;
  other.name = "other";
  other.path = "/hooks/other";
  other.secret = std::string(kOtherSecret);
  options.webhooks.push_back(other);
  Daemon daemon(options);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(daemon.send(verification_get("msg=m" + std::to_string(i))).status, 200);
  EXPECT_EQ(daemon.send(verification_get("msg=m-over")).status, 429);
  // Someone exhausting one clinic's verification budget does not lock out another's.
  const Response other_answer = daemon.send(verification_get("msg=o1", "/hooks/other"));
  EXPECT_EQ(other_answer.status, 200) << other_answer.body;
  EXPECT_EQ(json_string_field(other_answer.body, "secret_token"), expected_hmac_hex(kOtherSecret, "o1"));
}

TEST(VerificationLimits, AStrangerSpendingItsBudgetDoesNotLockOutDrchronosVerification) {
  ConfigOptions options;
  // The stranger asks twice the webhook's whole budget.
  options.verify_rate_per_minute = 5;
  options.verify_rate_per_minute_per_source = 3;
  Daemon daemon(options);
  ClientOptions stranger = daemon.client_options();
  stranger.source_address = "127.0.0.2";
  int answered = 0;
  for (int i = 0; i < 10; ++i) {
    const Response r = send_once(daemon.port(), stranger, verification_get("msg=s" + std::to_string(i)));
    if (r.status == 200) {
      ++answered;
    } else {
      EXPECT_EQ(r.status, 429) << r.body;
      EXPECT_TRUE(r.header("Retry-After").has_value());
    }
  }
  EXPECT_EQ(answered, 3);
  ClientOptions drchrono = daemon.client_options();
  drchrono.source_address = "127.0.0.3";
  const Response verified = send_once(daemon.port(), drchrono, verification_get("msg=from-drchrono"));
  EXPECT_EQ(verified.status, 200) << verified.body;
  EXPECT_EQ(json_string_field(verified.body, "secret_token"), expected_hmac_hex(kMainSecret, "from-drchrono"));
}

TEST(VerificationLimits, SwitchedOffVerificationAnswers403AndHooksStillWork) {
  ConfigOptions options;
  options.webhooks[0].verify = false;
  Daemon daemon(options);
  const Response r = daemon.send(verification_get("msg=abc"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_TRUE(is_error_body(r.body)) << r.body;
  EXPECT_EQ(r.body.find(expected_hmac_hex(kMainSecret, "abc")), std::string::npos);

  const Response hook = daemon.send(signed_hook(kMainSecret));
  EXPECT_EQ(hook.status, 200) << hook.body;
}

}  // namespace
}  // namespace chronohook::testing

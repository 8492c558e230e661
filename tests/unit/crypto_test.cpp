#include <gtest/gtest.h>

#include <string>

#include "chronohook/crypto.hpp"
#include "chronohook/query.hpp"

namespace chronohook {
namespace {

std::string repeat(char c, std::size_t n) {
  return std::string(n, c);
}

// RFC 4231, section 4: HMAC-SHA256 test vectors (case 5 is truncated output
// and does not apply).
TEST(Hmac, MatchesRfc4231TestCase1) {
  EXPECT_EQ(crypto::hmac_sha256_hex(repeat('\x0b', 20), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Hmac, MatchesRfc4231TestCase2) {
  EXPECT_EQ(crypto::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, MatchesRfc4231TestCase3) {
  EXPECT_EQ(crypto::hmac_sha256_hex(repeat('\xaa', 20), repeat('\xdd', 50)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(Hmac, MatchesRfc4231TestCase4) {
  std::string key;
  for (int i = 1; i <= 25; ++i) key.push_back(static_cast<char>(i));
  EXPECT_EQ(crypto::hmac_sha256_hex(key, repeat('\xcd', 50)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(Hmac, MatchesRfc4231TestCase6WithAKeyLongerThanTheBlock) {
  EXPECT_EQ(crypto::hmac_sha256_hex(repeat('\xaa', 131), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, MatchesRfc4231TestCase7WithKeyAndDataLongerThanTheBlock) {
  EXPECT_EQ(crypto::hmac_sha256_hex(repeat('\xaa', 131),
                                    "This is a test using a larger than block-size key and a larger than block-size "
                                    "data. The key needs to be hashed before being used by the HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// Expected values printed by drchrono's Python example, i.e.
// hmac.new(secret, request.GET['msg'], hashlib.sha256).hexdigest(), with the
// query decoded by Python's parse_qsl as Django's QueryDict does.
struct PythonCase {
  const char* query;
  const char* hexdigest;
};

class HmacLikeDrchronoPythonExample : public ::testing::TestWithParam<PythonCase> {};

TEST_P(HmacLikeDrchronoPythonExample, AnswersWhatThePythonExampleAnswers) {
  const std::string secret = "synthetic-secret-0123456789abcdef";
  auto msg = query_parameter(GetParam().query, "msg");
  ASSERT_TRUE(msg.ok());
  ASSERT_TRUE(msg->has_value());
  EXPECT_EQ(crypto::hmac_sha256_hex(secret, **msg), GetParam().hexdigest) << GetParam().query;
}

INSTANTIATE_TEST_SUITE_P(
    Queries, HmacLikeDrchronoPythonExample,
    ::testing::Values(PythonCase{"msg=abc123", "dc6d91962b95fb107120e9eec7fa452d25a8b60b17da4e9abecff2316bbe2f04"},
                      PythonCase{"msg=hello+world", "421310cf1dcca40b26b42ebc53933186b1a3db260385c517b94eb12bc5f60635"},
                      PythonCase{"msg=a%2Bb", "31e51808aed384f5611ecff2e421c0eabd8086e06b06beaa48847be3e71887c2"},
                      PythonCase{"msg=caf%C3%A9", "03b9f0f4f3fd0cfbd81cc1978f1232641ac0639fbfd0f478e55983616af4bc77"},
                      PythonCase{"msg=", "11b84cc322f3d69aa5273de041a258e5c86b3480bdd113898215f2ce16303760"},
                      PythonCase{"msg=first&msg=second",
                                 "14b907209e06dd055bda319ecad26cea0b1f1ef5b12fa6b6de278da230635168"},
                      PythonCase{"msg=%7E%20x", "c8c1bc2da4a42d0fd1c812c48806c24b92d3ba733dd88cb18a4589e7415202d5"}));

TEST(Signature, AcceptsTheCurrentOrAPreviousSecretAndNothingElse) {
  const std::vector<Secret> accepted{Secret("current-secret-0123456789"), Secret("previous-secret-0123456789")};
  EXPECT_TRUE(crypto::matches_any_secret("current-secret-0123456789", accepted));
  EXPECT_TRUE(crypto::matches_any_secret("previous-secret-0123456789", accepted));
  EXPECT_FALSE(crypto::matches_any_secret("current-secret-012345678", accepted));
  EXPECT_FALSE(crypto::matches_any_secret("current-secret-0123456789 ", accepted));
  EXPECT_FALSE(crypto::matches_any_secret("", accepted));
  EXPECT_FALSE(crypto::matches_any_secret("current-secret-0123456789", {}));
}

TEST(Secret, CopiesAndMovesKeepTheKeyAndItsDigest) {
  Secret a("synthetic-secret-abcdefgh");
  Secret b = a;
  Secret c = std::move(a);
  EXPECT_EQ(b.expose(), "synthetic-secret-abcdefgh");
  EXPECT_EQ(c.expose(), "synthetic-secret-abcdefgh");
  EXPECT_EQ(b.digest(), crypto::sha256("synthetic-secret-abcdefgh"));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from secrets are wiped
}

TEST(RandomHex, GivesTwoHexCharactersPerByteAndDiffersEachTime) {
  const std::string a = crypto::random_hex(20);
  const std::string b = crypto::random_hex(20);
  EXPECT_EQ(a.size(), 40u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace chronohook

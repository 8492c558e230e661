// Issue 13, point 1: a refused request ends its connection. Every answer
// that is not a 2xx says `Connection: close` and the daemon closes right
// after it, so a client without the secret cannot hold a connection slot by
// repeating a wrong request on a kept-alive connection.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/daemon.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

struct Refusal {
  std::string what;
  Request request;
  int status;
};

std::vector<Refusal> refusals() {
  Request wrong_method = verification_get("msg=x");
  wrong_method.method = "PUT";
  Request bad_json = signed_hook(kMainSecret);
  bad_json.body = "{not json";
  Request no_event = signed_hook(kMainSecret);
  std::erase_if(no_event.headers, [](const Header& h) { return h.name == "X-drchrono-event"; });
  Request too_large = signed_hook(kMainSecret);
  too_large.body = std::string(8 * 1024, 'x');
  return {
      {"unknown path", verification_get("msg=x", "/x"), 404},
      {"wrong method", wrong_method, 405},
      {"wrong signature", signed_hook("bb-wrong-secret-00000000000000"), 401},
      {"missing msg", verification_get("other=1"), 400},
      {"missing event header", no_event, 400},
      {"body not JSON", bad_json, 400},
      {"body over max_body_bytes", too_large, 413},
  };
}

TEST(RefusedRequests, EveryRefusalSaysConnectionCloseAndClosesTheConnection) {
  ConfigOptions options;
  options.max_body_bytes = 4096;
  Daemon daemon(options);
  for (const Refusal& refusal : refusals()) {
    auto connection = daemon.connect();
    const Response r = connection->send(refusal.request);
    EXPECT_EQ(r.status, refusal.status) << refusal.what << ": " << r.body;
    EXPECT_EQ(r.header("Connection").value_or(""), "close") << refusal.what;
    EXPECT_FALSE(r.keep_alive) << refusal.what;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(connection->closed_by_peer()) << refusal.what << ": the connection stayed open after a refusal";
    // The close follows the answer at once, not after a lingering timeout.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500)) << refusal.what;
  }
}

TEST(RefusedRequests, AnOversizeHeaderIsAnswered431AndClosed) {
  Daemon daemon;
  auto connection = daemon.connect();
  Request r = signed_hook(kMainSecret);
  r.headers.push_back({"X-Padding", std::string(20 * 1024, 'p')});
  const Response res = connection->send(r);
  EXPECT_EQ(res.status, 431);
  EXPECT_EQ(res.header("Connection").value_or(""), "close");
  EXPECT_TRUE(connection->closed_by_peer());
}

TEST(RefusedRequests, AStoredHookStillKeepsItsConnection) {
  Daemon daemon;
  auto connection = daemon.connect();
  for (int i = 0; i < 3; ++i) {
    const Response r = connection->send(signed_hook(kMainSecret));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.keep_alive);
  }
  const Response get = connection->send(verification_get("msg=still-alive"));
  EXPECT_EQ(get.status, 200);
  EXPECT_TRUE(get.keep_alive);
}

}  // namespace
}  // namespace chronohook::testing

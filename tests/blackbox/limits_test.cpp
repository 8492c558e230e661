// Bodies the daemon must refuse without storing them, and without being hurt
// by them: not JSON, not an object, nested absurdly deep, or too large (413,
// decided from Content-Length before reading, or while reading chunks).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// {"a":{"a":...{}...}} with `depth` objects in all.
std::string nested_objects(std::size_t depth) {
  std::string s;
  for (std::size_t i = 1; i < depth; ++i) s += "{\"a\":";
  s += "{}";
  s.append(depth - 1, '}');
  return s;
}

// A JSON object of exactly `size` bytes: {"object":{"id":1},"pad":"xxx..."}.
std::string object_of_size(std::size_t size) {
  const std::string head = R"({"object":{"id":1},"pad":")";
  const std::string tail = "\"}";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

std::string chunked(const std::string& body, std::size_t chunk) {
  std::string out;
  char size_line[32];
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    const std::string piece = body.substr(at, chunk);
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
    out += size_line + piece + "\r\n";
  }
  return out + "0\r\n\r\n";
}

Request chunked_hook(const std::string& body) {
  Request r = signed_hook(kMainSecret, "TASK_CREATE");
  r.headers.push_back({"Transfer-Encoding", "chunked"});
  r.body = chunked(body, 1000);
  return r;
}

void expect_still_serving(const Daemon& daemon) {
  const Response get = daemon.send(verification_get("msg=still-here"));
  EXPECT_EQ(get.status, 200) << get.body;
  const Response hook = daemon.send(signed_hook(kMainSecret));
  EXPECT_EQ(hook.status, 200) << hook.body;
}

TEST(Body, NotJsonIs400AndTheErrorDoesNotQuoteIt) {
  Daemon daemon;
  const std::string marker = "ZZBODY" + random_hex(6);
  const std::vector<std::string> bodies = {"",
                                           "not json " + marker,
                                           "{\"object\": \"" + marker + "\"",
                                           "{\"a\":1} " + marker,
                                           "{\"a\":1}{\"b\":2}",
                                           "{'single': 'quotes'}",
                                           "{\"a\":01}",
                                           "{\"" + marker + "\":\"\xC3\x28\"}"};
  for (const std::string& body : bodies) {
    Request q = signed_hook(kMainSecret, "TASK_CREATE");
    q.body = body;
    const Response r = daemon.send(q);
    EXPECT_EQ(r.status, 400) << "body '" << body << "': " << r.body;
    EXPECT_TRUE(is_error_body(r.body)) << r.body;
    EXPECT_THAT(r.body, Not(HasSubstr(marker)));
  }
  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

TEST(Body, JsonArrayOrScalarIs400) {
  Daemon daemon;
  for (std::string_view body : {R"([{"object":{"id":1}}])", "[]", R"("a string")", "42", "null", "true"}) {
    Request r = signed_hook(kMainSecret, "TASK_CREATE");
    r.body = std::string(body);
    const Response res = daemon.send(r);
    EXPECT_EQ(res.status, 400) << body << ": " << res.body;
    EXPECT_TRUE(is_error_body(res.body)) << res.body;
  }
  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

TEST(Body, HundredThousandNestedBracketsAre400AndTheDaemonKeepsServing) {
  Daemon daemon;
  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += "{\"a\":";
  for (const std::string& body :
       {std::string(100000, '['), std::string(100000, '{'), deep_objects, "{\"object\":" + std::string(100000, '[')}) {
    Request r = signed_hook(kMainSecret, "TASK_CREATE");
    r.body = body;
    const Response res = daemon.send(r);
    EXPECT_EQ(res.status, 400) << body.substr(0, 16) << "...: " << res.body;
    EXPECT_TRUE(is_error_body(res.body)) << res.body;
  }
  EXPECT_EQ(count_events(daemon.db_path()), 0);
  expect_still_serving(daemon);
  EXPECT_TRUE(daemon.running());
}

TEST(Body, NestingUpTo64LevelsIsAcceptedAnd65IsNot) {
  Daemon daemon;
  Request ok = signed_hook(kMainSecret, "TASK_CREATE");
  ok.body = nested_objects(64);
  EXPECT_EQ(daemon.send(ok).status, 200);
  Request too_deep = signed_hook(kMainSecret, "TASK_CREATE");
  too_deep.body = nested_objects(65);
  const Response r = daemon.send(too_deep);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(count_events(daemon.db_path()), 1);
}

TEST(Body, DeclaredOversizeIs413BeforeTheBodyIsSent) {
  ConfigOptions options;
  options.max_body_bytes = 4096;
  Daemon daemon(options);
  auto connection = daemon.connect();
  // Only the head goes out: a daemon that waited for 10 MB would hit the
  // client's deadline and fail the test instead of hanging it.
  const Response r = connection->send_head_only(signed_hook(kMainSecret), 10 * 1024 * 1024);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_TRUE(is_error_body(r.body)) << r.body;
  EXPECT_FALSE(r.keep_alive) << "the unread body makes the connection unusable";
  EXPECT_EQ(count_events(daemon.db_path()), 0);
  expect_still_serving(daemon);
}

TEST(Body, BodyAtTheLimitIsAcceptedAndOneByteMoreIs413) {
  ConfigOptions options;
  options.max_body_bytes = 4096;
  Daemon daemon(options);
  Request at_limit = signed_hook(kMainSecret, "TASK_CREATE");
  at_limit.body = object_of_size(4096);
  const Response ok = daemon.send(at_limit);
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto row = event_for(daemon.db_path(), "main", delivery_of(at_limit));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->at("payload"), at_limit.body);

  Request over = signed_hook(kMainSecret, "TASK_CREATE");
  over.body = object_of_size(4097);
  const Response refused = daemon.send(over);
  EXPECT_EQ(refused.status, 413) << refused.body;
  EXPECT_FALSE(event_for(daemon.db_path(), "main", delivery_of(over)).has_value());
}

TEST(Body, ChunkedBodyIsAcceptedUnderTheLimitAnd413Over) {
  ConfigOptions options;
  options.max_body_bytes = 4096;
  Daemon daemon(options);
  const Request small = chunked_hook(object_of_size(3000));
  const Response ok = daemon.send(small);
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto row = event_for(daemon.db_path(), "main", delivery_of(small));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->at("payload"), object_of_size(3000));

  const Request big = chunked_hook(object_of_size(64 * 1024));
  const Response refused = daemon.send(big);
  EXPECT_EQ(refused.status, 413) << refused.body;
  EXPECT_TRUE(is_error_body(refused.body)) << refused.body;
  EXPECT_FALSE(event_for(daemon.db_path(), "main", delivery_of(big)).has_value());
  expect_still_serving(daemon);
}

TEST(Body, ChunkedBodyExactlyAtTheLimitIsAcceptedAndOneByteMoreIs413) {
  ConfigOptions options;
  options.max_body_bytes = 4096;
  Daemon daemon(options);
  const Request at_limit = chunked_hook(object_of_size(4096));
  EXPECT_EQ(daemon.send(at_limit).status, 200);
  const Request over = chunked_hook(object_of_size(4097));
  EXPECT_EQ(daemon.send(over).status, 413);
  EXPECT_EQ(count_events(daemon.db_path()), 1);
}

// Issue 13, point 4: a body that cannot be parsed after an accepted head was
// dropped with a bare close, no answer and no access line.
TEST(Body, AMalformedChunkIsAnswered400AndLoggedLikeAHeaderError) {
  Daemon daemon;
  Request hook = signed_hook(kMainSecret, "TASK_CREATE");
  hook.headers.push_back({"Transfer-Encoding", "chunked"});
  hook.body = "zz-not-a-chunk-size\r\n{}\r\n0\r\n\r\n";
  auto connection = daemon.connect();
  const Response r = connection->send(hook);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(is_error_body(r.body)) << r.body;
  EXPECT_EQ(r.header("Connection").value_or(""), "close");
  EXPECT_TRUE(connection->closed_by_peer());
  EXPECT_EQ(count_events(daemon.db_path()), 0);
  ASSERT_EQ(daemon.stop(), 0);
  EXPECT_THAT(daemon.log_text(), HasSubstr("method=POST path=/webhook status=400 webhook=main event=TASK_CREATE"));
}

TEST(Headers, AMalformedHeaderFieldIsAnswered400AndClosed) {
  Daemon daemon;
  auto connection = daemon.connect();
  const Response r = connection->send_raw("POST /webhook HTTP/1.1\r\nHost: localhost\r\nBad Header Name: x\r\n\r\n");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("malformed HTTP request"));
  EXPECT_EQ(r.header("Connection").value_or(""), "close");
  EXPECT_TRUE(connection->closed_by_peer());
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
}

TEST(Body, OversizeHeaderIsRefusedWithoutStoring) {
  Daemon daemon;
  Request r = signed_hook(kMainSecret, "TASK_CREATE");
  r.headers.push_back({"X-Padding", std::string(20 * 1024, 'p')});
  const Response res = daemon.send(r);
  EXPECT_EQ(res.status, 431) << res.body;
  EXPECT_TRUE(is_error_body(res.body)) << res.body;
  EXPECT_EQ(count_events(daemon.db_path()), 0);
  expect_still_serving(daemon);
}

// Senders that stall must not hold a connection (or a drain) for long: each
// phase has its own deadline. The daemon closes without an answer, since
// there is no complete request to answer.
ConfigOptions short_timeouts() {
  ConfigOptions options;
  options.extra_server_toml = "header_timeout_ms = 400\nbody_timeout_ms = 400\nidle_timeout_ms = 400\n";
  return options;
}

TEST(Timeouts, AStalledRequestHeaderIsCutOff) {
  Daemon daemon(short_timeouts());
  auto connection = daemon.connect();
  const auto start = std::chrono::steady_clock::now();
  connection->write("POST /webhook HTTP/1.1\r\nHost: localhost\r\nX-drchrono-event: TASK");
  EXPECT_TRUE(connection->closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  expect_still_serving(daemon);
}

TEST(Timeouts, AStalledBodyIsCutOffAndNothingIsStored) {
  Daemon daemon(short_timeouts());
  auto connection = daemon.connect();
  const Request hook = signed_hook(kMainSecret, "TASK_CREATE");
  const auto start = std::chrono::steady_clock::now();
  connection->write(hook.serialize_head(hook.body.size()) + hook.body.substr(0, 10));
  EXPECT_TRUE(connection->closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(count_events(daemon.db_path()), 0);
  expect_still_serving(daemon);
}

TEST(Timeouts, AnIdleKeptAliveConnectionIsClosed) {
  Daemon daemon(short_timeouts());
  auto connection = daemon.connect();
  ASSERT_EQ(connection->send(signed_hook(kMainSecret)).status, 200);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(connection->closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace chronohook::testing

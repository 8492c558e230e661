// What a POST must carry before its body is even looked at: the secret in
// X-drchrono-signature (401 otherwise), a well-formed event name and delivery
// id (400 otherwise), each header once. And what other paths and methods get.
// Every refusal stores nothing and answers {"error": ...}.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Request without_header(Request r, std::string_view name) {
  std::erase_if(r.headers, [&](const Header& h) { return h.name == name; });
  return r;
}

Request with_header(Request r, std::string_view name, std::string_view value) {
  for (Header& h : r.headers) {
    if (h.name == name) h.value = std::string(value);
  }
  return r;
}

void expect_refused(const Daemon& daemon, const Request& request, int status, std::string_view why) {
  const Response r = daemon.send(request);
  EXPECT_EQ(r.status, status) << why << ": " << r.body;
  EXPECT_TRUE(is_error_body(r.body)) << why << ": " << r.body;
  EXPECT_THAT(r.body, Not(HasSubstr(std::string(kMainSecret)))) << why;
}

TEST(Auth, WrongSignatureIs401AndNothingIsStored) {
  Daemon daemon;
  const std::string wrong = "bb-wrong-secret-" + random_hex(8);
  const Response r = daemon.send(signed_hook(wrong));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_TRUE(is_error_body(r.body)) << r.body;
  EXPECT_THAT(r.body, Not(HasSubstr(wrong)));
  EXPECT_THAT(r.body, Not(HasSubstr(std::string(kMainSecret))));
  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

TEST(Auth, MissingSignatureIs401AndNothingIsStored) {
  Daemon daemon;
  expect_refused(daemon, without_header(signed_hook(kMainSecret), "X-drchrono-signature"), 401, "no signature");
  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

TEST(Auth, NearMissesOfTheSecretAre401) {
  Daemon daemon;
  const std::string secret(kMainSecret);
  std::string upper = secret;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& near : {std::string(), secret.substr(0, secret.size() - 1), secret + "x", " " + secret + "x",
                                  upper, secret.substr(1)}) {
    expect_refused(daemon, signed_hook(near), 401, "signature '" + near + "'");
  }
  // A header value the client pads with spaces is trimmed by HTTP itself.
  const Response padded = daemon.send(signed_hook(" " + secret + " "));
  EXPECT_EQ(padded.status, 200) << padded.body;
  EXPECT_EQ(count_events(daemon.db_path()), 1);
}

TEST(Headers, MissingOrMalformedEventIs400) {
  Daemon daemon;
  const Request good = signed_hook(kMainSecret);
  expect_refused(daemon, without_header(good, "X-drchrono-event"), 400, "no event");
  for (std::string_view bad :
       {"", "appointment_create", "APPOINTMENT-CREATE", "APPOINTMENT CREATE", "ÉVÉNEMENT", "PING;", "A\tB"}) {
    expect_refused(daemon, with_header(good, "X-drchrono-event", bad), 400, "event '" + std::string(bad) + "'");
  }
  expect_refused(daemon, with_header(good, "X-drchrono-event", std::string(65, 'A')), 400, "65-byte event");
  EXPECT_EQ(count_events(daemon.db_path()), 0);

  // 64 characters is still a well-formed (if unknown) name.
  const Response longest = daemon.send(with_header(signed_hook(kMainSecret), "X-drchrono-event", std::string(64, 'Z')));
  EXPECT_EQ(longest.status, 200) << longest.body;
}

TEST(Headers, MissingEmptyOverlongOrNonPrintableDeliveryIs400) {
  Daemon daemon;
  const Request good = signed_hook(kMainSecret);
  expect_refused(daemon, without_header(good, "X-drchrono-delivery"), 400, "no delivery");
  expect_refused(daemon, with_header(good, "X-drchrono-delivery", ""), 400, "empty delivery");
  expect_refused(daemon, with_header(good, "X-drchrono-delivery", std::string(129, 'd')), 400, "129-byte delivery");
  // Tab, a control byte, DEL, UTF-8 and bare high bytes (octal escapes: \001 is one byte).
  for (std::string_view bad : {"abc\tdef", "abc\001def", "abc\177def", "caf\303\251", "\200\201"}) {
    expect_refused(daemon, with_header(good, "X-drchrono-delivery", bad), 400, "non-printable delivery");
  }
  EXPECT_EQ(count_events(daemon.db_path()), 0);

  const Request longest = signed_hook(kMainSecret, "TASK_CREATE", "", std::string(128, 'd'));
  const Response r = daemon.send(longest);
  EXPECT_EQ(r.status, 200) << r.body;
  const Request punctuated = signed_hook(kMainSecret, "TASK_CREATE", "", "id with spaces & ~!@#$%^*()[]{}");
  EXPECT_EQ(daemon.send(punctuated).status, 200);
  EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery_of(punctuated)).has_value());
}

TEST(Headers, AProtocolHeaderSentTwiceIs400) {
  Daemon daemon;
  Request event_twice = signed_hook(kMainSecret);
  event_twice.headers.push_back({"X-drchrono-event", "APPOINTMENT_DELETE"});
  expect_refused(daemon, event_twice, 400, "event twice");

  Request delivery_twice = signed_hook(kMainSecret);
  delivery_twice.headers.push_back({"X-drchrono-delivery", fresh_delivery_id()});
  expect_refused(daemon, delivery_twice, 400, "delivery twice");

  // Even the same value twice: a proxy that merges or splits headers is not
  // something to guess about.
  Request same_delivery_twice = signed_hook(kMainSecret);
  same_delivery_twice.headers.push_back({"X-drchrono-delivery", delivery_of(same_delivery_twice)});
  expect_refused(daemon, same_delivery_twice, 400, "same delivery twice");

  Request signature_twice = signed_hook(kMainSecret);
  signature_twice.headers.push_back({"X-drchrono-signature", std::string(kMainSecret)});
  expect_refused(daemon, signature_twice, 400, "signature twice");

  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

TEST(Routing, OtherPathsAre404AndStoreNothing) {
  Daemon daemon;
  for (std::string_view path : {"/", "/nope", "/webhook/", "/Webhook", "/webhook/extra", "//webhook", "/webhook%20"}) {
    expect_refused(daemon, signed_hook(kMainSecret, "TASK_CREATE", "", "", path), 404, "POST " + std::string(path));
    expect_refused(daemon, verification_get("msg=abc", path), 404, "GET " + std::string(path));
  }
  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

TEST(Routing, OtherMethodsOnAWebhookPathAre405WithAllow) {
  Daemon daemon;
  for (std::string_view method : {"PUT", "DELETE", "PATCH", "OPTIONS"}) {
    Request r = signed_hook(kMainSecret);
    r.method = std::string(method);
    const Response res = daemon.send(r);
    EXPECT_EQ(res.status, 405) << method << ": " << res.body;
    EXPECT_EQ(res.header("Allow").value_or("<none>"), "GET, POST") << method;
    EXPECT_TRUE(is_error_body(res.body)) << method << ": " << res.body;
  }
  EXPECT_EQ(count_events(daemon.db_path()), 0);
}

TEST(Routing, NothingIsEverAnsweredWithARedirect) {
  Daemon daemon;
  std::vector<Request> requests = {verification_get("msg=x"),
                                   verification_get("msg=x", "/webhook/"),
                                   verification_get("msg=x", "/webhook/."),
                                   signed_hook(kMainSecret),
                                   signed_hook(kMainSecret, "TASK_CREATE", "", "", "/webhook/"),
                                   signed_hook("bb-wrong-secret-000000000000")};
  Request get_index{"GET", "/", {}, ""};
  requests.push_back(get_index);
  for (const Request& request : requests) {
    const Response r = daemon.send(request);
    EXPECT_FALSE(r.status >= 300 && r.status < 400) << request.method << " " << request.target << " -> " << r.status;
    EXPECT_FALSE(r.header("Location").has_value()) << request.method << " " << request.target;
  }
}

}  // namespace
}  // namespace chronohook::testing

// The pull API's decisions, without a socket or a database: who may ask,
// what each endpoint takes, and what every refusal says.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "admin/handler.hpp"

namespace chronohook::admin {
namespace {

constexpr std::string_view kBillingToken = "tok-billing-0123456789abcdef";
constexpr std::string_view kSyncToken = "tok-sync-fedcba9876543210";

Handler make_handler() {
  return Handler(std::vector<Consumer>{{"billing", Secret(std::string(kBillingToken))},
                                       {"sync", Secret(std::string(kSyncToken))}});
}

const std::string kBillingAuth = "Bearer " + std::string(kBillingToken);

Decision ask(std::string_view method, std::string_view target, std::string_view body = "",
             std::optional<std::string_view> auth = kBillingAuth) {
  static const Handler handler = make_handler();
  return handler.decide(Request{method, target, auth, body});
}

Decision get(std::string_view target) {
  return ask("GET", target);
}

// The reply of a decision that must be refused, or a failed test.
Reply refused(const Decision& d) {
  const Reply* r = std::get_if<Reply>(&d);
  EXPECT_NE(r, nullptr) << "expected a reply, got work to do";
  return r != nullptr ? *r : Reply{};
}

bool error_mentions(const Reply& r, std::string_view part) {
  return r.body.starts_with("{\"error\":\"") && r.body.find(part) != std::string::npos;
}

TEST(AdminHandler, RefusesARequestWithoutOrWithAWrongTokenWith401) {
  for (auto auth : std::vector<std::optional<std::string_view>>{
           std::nullopt, "", "Bearer", "Bearer ", "Bearer wrong-token-0123456789", "Basic dXNlcjpwYXNz",
           std::string_view(kBillingToken), "Bearer tok-billing-0123456789abcdeF"}) {
    const Reply r = refused(ask("GET", "/v1/events", "", auth));
    EXPECT_EQ(r.status, 401) << auth.value_or("<none>");
    EXPECT_TRUE(r.www_authenticate);
    EXPECT_TRUE(error_mentions(r, "Authorization: Bearer"));
    EXPECT_TRUE(r.consumer.empty());
  }
}

TEST(AdminHandler, AuthenticatesBeforeRoutingSoStrangersLearnNoPaths) {
  EXPECT_EQ(refused(ask("GET", "/nope", "", std::nullopt)).status, 401);
  EXPECT_EQ(refused(get("/nope")).status, 404);
}

TEST(AdminHandler, AcceptsTheBearerSchemeInAnyCase) {
  const std::string lower = "bearer " + std::string(kSyncToken);
  const auto d = ask("GET", "/v1/events", "", lower);
  ASSERT_TRUE(std::holds_alternative<ListEvents>(d));
  EXPECT_EQ(std::get<ListEvents>(d).consumer, 1u);
}

TEST(AdminHandler, ListsEventsWithDefaultsAndEveryParameter) {
  const auto plain = std::get<ListEvents>(get("/v1/events"));
  EXPECT_EQ(plain.filter.after, 0);
  EXPECT_EQ(plain.filter.limit, 100u);
  EXPECT_EQ(plain.wait.count(), 0);
  EXPECT_FALSE(plain.after_cursor);
  EXPECT_EQ(plain.endpoint, Endpoint::kEvents);

  const auto full = std::get<ListEvents>(
      get("/v1/events?after=42&limit=1000&event=APPOINTMENT_CREATE,PATIENT_*&event=PING&patient=p%2D7&wait=60"));
  EXPECT_EQ(full.filter.after, 42);
  EXPECT_EQ(full.filter.limit, 1000u);
  EXPECT_EQ(full.wait.count(), 60);
  EXPECT_EQ(full.filter.events, (std::vector<std::string>{"APPOINTMENT_CREATE", "PATIENT_*", "PING"}));
  EXPECT_EQ(full.filter.patient, "p-7");
}

TEST(AdminHandler, RefusesBadParametersWith400NamingThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/events?limit=0", "limit must be an integer from 1 to 1000"},
      {"/v1/events?limit=1001", "limit must be"},
      {"/v1/events?limit=ten", "limit must be"},
      {"/v1/events?after=-1", "after must be"},
      {"/v1/events?after=1&after=2", "after is given more than once"},
      {"/v1/events?wait=61", "wait must be an integer from 0 to 60"},
      {"/v1/events?event=PATIENT_*_X", "event must be"},
      {"/v1/events?event=lower-case", "event must be"},
      {"/v1/events?event=", "event must be"},
      {"/v1/events?patient=", "patient must be"},
      {"/v1/events?limt=5", R"(unknown parameter \"limt\")"},
      {"/v1/events?x%zz=1", "not well-formed"},
      {"/v1/events/abc", "seq in /v1/events/{seq} must be"},
      {"/v1/events/7?limit=1", R"(unknown parameter \"limit\": this endpoint takes none)"},
      {"/v1/consumers/billing/next?after=3", R"(unknown parameter \"after\")"},
      {"/v1/consumers/billing/next?wait=x", "wait must be"},
  };
  for (const auto& [target, message] : cases) {
    const Reply r = refused(get(target));
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_TRUE(error_mentions(r, message)) << target << " -> " << r.body;
    EXPECT_EQ(r.consumer, "billing") << target;
  }
}

TEST(AdminHandler, NeverEchoesAParameterValue) {
  const Reply r = refused(get("/v1/events?limit=SECRET-LOOKING-VALUE&wait=1"));
  EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
  const Reply odd = refused(get("/v1/events?Weird%20Name=1"));
  EXPECT_EQ(odd.body.find("Weird"), std::string::npos);
  EXPECT_TRUE(error_mentions(odd, "unknown parameter with an unexpected name"));
}

TEST(AdminHandler, RoutesOneEventBySeq) {
  const auto d = std::get<GetEvent>(get("/v1/events/12345"));
  EXPECT_EQ(d.seq, 12345);
}

TEST(AdminHandler, AnswersUnknownEndpointsWith404AndWrongMethodsWith405) {
  for (const char* target : {"/", "/v1", "/v2/events", "/v1/event", "/v1/events/1/2", "/v1/consumers/billing",
                             "/v1/consumers/billing/cursorx", "/v1/consumers/billing/next/more"}) {
    const Reply r = refused(get(target));
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_TRUE(error_mentions(r, "no such endpoint"));
  }
  const Reply post = refused(ask("POST", "/v1/events"));
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(post.allow_get);
  const Reply del = refused(ask("DELETE", "/v1/consumers/billing/cursor"));
  EXPECT_EQ(del.status, 405);
  EXPECT_TRUE(del.allow_get_put);
  EXPECT_EQ(refused(ask("PUT", "/v1/consumers/billing/next", "{\"seq\":1}")).status, 405);
}

TEST(AdminHandler, LetsAConsumerTouchOnlyItsOwnCursor) {
  EXPECT_TRUE(std::holds_alternative<GetCursor>(get("/v1/consumers/billing/cursor")));
  EXPECT_TRUE(std::holds_alternative<ListEvents>(get("/v1/consumers/billing/next")));
  for (const char* target : {"/v1/consumers/sync/cursor", "/v1/consumers/sync/next", "/v1/consumers/nobody/cursor"}) {
    const Reply r = refused(get(target));
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_TRUE(error_mentions(r, "only read or move its own cursor"));
  }
  EXPECT_EQ(refused(ask("PUT", "/v1/consumers/sync/cursor", "{\"seq\":1}")).status, 403);
}

TEST(AdminHandler, ReadsNextAfterTheCursorWithLimitAndWait) {
  const auto next = std::get<ListEvents>(get("/v1/consumers/billing/next?limit=5&wait=2"));
  EXPECT_TRUE(next.after_cursor);
  EXPECT_EQ(next.filter.limit, 5u);
  EXPECT_EQ(next.wait.count(), 2);
  EXPECT_EQ(next.endpoint, Endpoint::kNext);
}

TEST(AdminHandler, TakesACursorPutAsSeqAndRewind) {
  const auto put = std::get<PutCursor>(ask("PUT", "/v1/consumers/billing/cursor", "{\"seq\": 17}"));
  EXPECT_EQ(put.seq, 17);
  EXPECT_FALSE(put.rewind);
  EXPECT_TRUE(std::get<PutCursor>(ask("PUT", "/v1/consumers/billing/cursor?rewind=true", "{\"seq\":0}")).rewind);
  for (const char* body : {"", "{}", "[]", "{\"seq\":-1}", "{\"seq\":1.5}", "{\"seq\":\"3\"}", "{\"seq\":1,\"x\":2}",
                           "{\"seq\":1", "{\"seq\":99999999999999999999}"}) {
    const Reply r = refused(ask("PUT", "/v1/consumers/billing/cursor", body));
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_TRUE(error_mentions(r, "{\\\"seq\\\": N}")) << r.body;
  }
  EXPECT_TRUE(error_mentions(refused(ask("PUT", "/v1/consumers/billing/cursor?rewind=maybe", "{\"seq\":1}")),
                             "rewind must be true or false"));
}

TEST(AdminHandler, AnswersACursorWriteByItsOutcome) {
  const Handler h = make_handler();
  const PutCursor put{0, 9, false};
  const Reply ok = h.cursor_written(put, CursorWrite{CursorWrite::Kind::kWritten, 9, ""});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{\"consumer\":\"billing\",\"seq\":9}");
  const Reply back = h.cursor_written(put, CursorWrite{CursorWrite::Kind::kBackwards, 12, ""});
  EXPECT_EQ(back.status, 409);
  EXPECT_TRUE(error_mentions(back, "the cursor is at 12; moving it backwards needs ?rewind=true"));
  EXPECT_EQ(h.cursor_written(put, CursorWrite{CursorWrite::Kind::kPastEnd, 3, ""}).status, 409);
  const Reply failed = h.cursor_written(put, CursorWrite{CursorWrite::Kind::kFailed, 0, "disk I/O error"});
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(failed.body.find("disk"), std::string::npos);
  EXPECT_EQ(failed.retry_after_seconds, 1);
}

StoredEvent stored(std::int64_t seq) {
  StoredEvent e;
  e.seq = seq;
  e.webhook = "main";
  e.delivery_id = "d-" + std::to_string(seq);
  e.event = "PING";
  e.received_at = e.last_seen_at = "2026-01-01T00:00:00.000Z";
  e.attempts = 1;
  e.payload = "{\"a\":1}";
  return e;
}

TEST(AdminHandler, BuildsAPageWithNextAfterAndAuditFacts) {
  const Handler h = make_handler();
  const ListEvents list{1, Endpoint::kEvents, {}, false, {}};
  const Reply page = h.page(list, {stored(4), stored(9)}, 3);
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(page.body.starts_with("{\"events\":[{"));
  EXPECT_TRUE(page.body.ends_with("],\"next_after\":9}")) << page.body;
  EXPECT_EQ(page.events, 2u);
  EXPECT_EQ(page.first_seq, 4);
  EXPECT_EQ(page.last_seq, 9);
  EXPECT_EQ(page.consumer, "sync");

  const Reply empty = h.page(list, {}, 3);
  EXPECT_EQ(empty.body, "{\"events\":[],\"next_after\":3}");
  EXPECT_EQ(empty.events, 0u);
}

TEST(AdminHandler, Answers404ForAMissingEventAndTheEventItselfOtherwise) {
  const Handler h = make_handler();
  const Reply missing = h.event(GetEvent{0, 5}, std::nullopt);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(error_mentions(missing, "no event has this seq"));
  const Reply found = h.event(GetEvent{0, 5}, stored(5));
  EXPECT_EQ(found.status, 200);
  EXPECT_TRUE(found.body.starts_with("{\"seq\":5,")) << found.body;
}

TEST(AdminHandler, AnswersACursorWithZeroWhenNoneIsStored) {
  const Handler h = make_handler();
  EXPECT_EQ(h.cursor(GetCursor{0}, 0).body, "{\"consumer\":\"billing\",\"seq\":0}");
}

TEST(AdminHandler, SaysRetryWhenEveryReaderIsBusy) {
  const Reply r = make_handler().busy(0, Endpoint::kEvents);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.retry_after_seconds, 1);
  EXPECT_TRUE(error_mentions(r, "reader"));
}

}  // namespace
}  // namespace chronohook::admin

// The protocol, row by row, against the pure handler: no sockets, no threads.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chronohook/crypto.hpp"
#include "chronohook/handler.hpp"

namespace chronohook::webhook {
namespace {

constexpr const char* kSecret = "synthetic-current-secret-0123";
constexpr const char* kPrevious = "synthetic-previous-secret-4567";
constexpr const char* kOtherSecret = "synthetic-other-secret-89abcdef";
constexpr const char* kBody = R"({"receiver":{"id":1},"object":{"id":77,"patient":42},"practice_group_id":9})";

class HandlerTest : public ::testing::Test {
 protected:
  HandlerTest() : counters_(std::make_shared<Counters>()), handler_(make_routes(), Limits{}, 60, counters_) {}

  static std::vector<Route> make_routes() {
    std::vector<Route> routes;
    routes.push_back(Route{"main", "/webhook", Secret(kSecret), {Secret(kSecret), Secret(kPrevious)}, true});
    routes.push_back(Route{"other", "/hooks/other", Secret(kOtherSecret), {Secret(kOtherSecret)}, false});
    return routes;
  }

  static RequestHead post(std::string_view target = "/webhook") {
    RequestHead h;
    h.method = "POST";
    h.target = target;
    h.signature = kSecret;
    h.event = "APPOINTMENT_CREATE";
    h.delivery = "delivery-0001";
    h.content_length = std::string_view(kBody).size();
    h.has_body = true;
    h.received = Clock::time_point(std::chrono::milliseconds(1'780'000'000'123));
    return h;
  }

  // A source as net::source_key() gives it; only its identity matters here.
  static SourceKey source(int n) {
    SourceKey k{};
    k[14] = static_cast<std::uint8_t>(n >> 8);
    k[15] = static_cast<std::uint8_t>(n);
    return k;
  }

  static RequestHead get(std::string_view target, SourceKey from = source(1000)) {
    RequestHead h;
    h.method = "GET";
    h.target = target;
    h.source = from;
    h.received = Clock::time_point(std::chrono::seconds(1'780'000'000));
    return h;
  }

  // The reply for a request that stops at the header.
  Reply head_reply(const RequestHead& h) const {
    auto d = handler_.on_head(h);
    EXPECT_TRUE(std::holds_alternative<Reply>(d)) << "the header was accepted";
    return std::holds_alternative<Reply>(d) ? std::get<Reply>(d) : Reply{};
  }

  // Runs both phases; returns the record to store or the reply.
  std::variant<Reply, Store> full(const RequestHead& h, std::string body) const {
    auto d = handler_.on_head(h);
    if (auto* r = std::get_if<Reply>(&d)) return *r;
    return handler_.on_body(h, std::get<ReadBody>(d), std::move(body));
  }

  static std::string error_of(const Reply& r) { return nlohmann::json::parse(r.body).at("error").get<std::string>(); }

  std::shared_ptr<Counters> counters_;
  Handler handler_;
};

TEST_F(HandlerTest, VerificationAnswersHmacOfTheDecodedMsgWithTheCurrentSecret) {
  const Reply r = head_reply(get("/webhook?msg=hello+world%2B%C3%A9"));
  EXPECT_EQ(r.status, 200);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body.at("secret_token"), crypto::hmac_sha256_hex(kSecret, "hello world+\xC3\xA9"));
  EXPECT_EQ(body.size(), 1u);
  EXPECT_TRUE(r.no_store);
}

TEST_F(HandlerTest, VerificationRefusesAMissingMsg) {
  const Reply r = head_reply(get("/webhook?other=1"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_of(r).find("msg"), std::string::npos);
  EXPECT_EQ(head_reply(get("/webhook")).status, 400);
}

TEST_F(HandlerTest, VerificationRefusesAMalformedEscape) {
  EXPECT_EQ(head_reply(get("/webhook?msg=ab%2")).status, 400);
}

TEST_F(HandlerTest, VerificationRefusesAMsgLongerThanTheBound) {
  EXPECT_EQ(head_reply(get("/webhook?msg=" + std::string(1024, 'a'))).status, 200);
  EXPECT_EQ(head_reply(get("/webhook?msg=" + std::string(1025, 'a'))).status, 400);
  // The bound is on the decoded value: 1024 escapes decode to 1024 bytes.
  std::string escaped;
  for (int i = 0; i < 1024; ++i) escaped += "%41";
  EXPECT_EQ(head_reply(get("/webhook?msg=" + escaped)).status, 200);
}

TEST_F(HandlerTest, VerificationRefusesAMsgThatIsNotUtf8) {
  EXPECT_EQ(head_reply(get("/webhook?msg=%FF")).status, 400);
}

TEST_F(HandlerTest, VerificationIsRateLimitedPerWebhook) {
  int ok = 0;
  Reply last;
  for (int i = 0; i < 61; ++i) {
    last = head_reply(get("/webhook?msg=x", source(i)));
    ok += last.status == 200;
  }
  EXPECT_EQ(ok, 60);
  EXPECT_EQ(last.status, 429);
  ASSERT_TRUE(last.retry_after_seconds.has_value());
  EXPECT_GE(*last.retry_after_seconds, 1);
}

TEST_F(HandlerTest, OneSourceCannotSpendTheVerificationBudgetOfAnother) {
  int ok = 0;
  Reply last;
  for (int i = 0; i < 11; ++i) {
    last = head_reply(get("/webhook?msg=x", source(7)));
    ok += last.status == 200;
  }
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(last.status, 429);
  EXPECT_EQ(error_of(last), "too many verification requests from this address; try again later");
  ASSERT_TRUE(last.retry_after_seconds.has_value());
  EXPECT_GE(*last.retry_after_seconds, 1);

  EXPECT_EQ(head_reply(get("/webhook?msg=x", source(8))).status, 200);
  EXPECT_EQ(head_reply(get("/webhook?msg=x", source(7))).status, 429);
}

TEST_F(HandlerTest, VerificationCanBeSwitchedOff) {
  EXPECT_EQ(head_reply(get("/hooks/other?msg=x")).status, 403);
}

TEST_F(HandlerTest, UnknownPathIsNotFoundWhateverTheMethod) {
  EXPECT_EQ(head_reply(get("/webhook/?msg=x")).status, 404);
  EXPECT_EQ(head_reply(post("/nope")).status, 404);
  EXPECT_EQ(head_reply(post("/WEBHOOK")).status, 404);
}

TEST_F(HandlerTest, OtherMethodsAreNotAllowedAndSayWhatIs) {
  for (std::string_view method : {"PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}) {
    RequestHead h = post();
    h.method = method;
    const Reply r = head_reply(h);
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_TRUE(r.allow_get_post) << method;
  }
}

TEST_F(HandlerTest, AGoodHookBecomesARecordWithItsIdsExtracted) {
  auto d = full(post(), kBody);
  ASSERT_TRUE(std::holds_alternative<Store>(d));
  const EventRecord& rec = std::get<Store>(d).record;
  EXPECT_EQ(rec.webhook, "main");
  EXPECT_EQ(rec.event, "APPOINTMENT_CREATE");
  EXPECT_EQ(rec.delivery_id, "delivery-0001");
  EXPECT_EQ(rec.payload, kBody);
  EXPECT_EQ(rec.object_id, "77");
  EXPECT_EQ(rec.patient_id, "42");
  EXPECT_EQ(rec.practice_group_id, "9");
  EXPECT_EQ(rec.received_at, "2026-05-28T20:26:40.123Z");
}

TEST_F(HandlerTest, PatientEventsTakeThePatientIdFromTheObjectId) {
  for (std::string_view event : {"PATIENT_CREATE", "PATIENT_MODIFY"}) {
    RequestHead h = post();
    h.event = event;
    auto d = full(h, R"({"object":{"id":"5150","patient":1}})");
    ASSERT_TRUE(std::holds_alternative<Store>(d));
    EXPECT_EQ(std::get<Store>(d).record.patient_id, "5150") << event;
  }
  RequestHead allergy = post();
  allergy.event = "PATIENT_ALLERGY_CREATE";
  auto d = full(allergy, R"({"object":{"id":3,"patient":"5150"}})");
  ASSERT_TRUE(std::holds_alternative<Store>(d));
  EXPECT_EQ(std::get<Store>(d).record.patient_id, "5150");
}

TEST_F(HandlerTest, APreviousSecretStillAuthenticates) {
  RequestHead h = post();
  h.signature = kPrevious;
  EXPECT_TRUE(std::holds_alternative<Store>(full(h, kBody)));
}

TEST_F(HandlerTest, AWrongOrMissingSignatureIsUnauthorized) {
  RequestHead wrong = post();
  wrong.signature = "synthetic-current-secret-012";
  EXPECT_EQ(head_reply(wrong).status, 401);
  RequestHead other_webhooks = post();
  other_webhooks.signature = kOtherSecret;
  EXPECT_EQ(head_reply(other_webhooks).status, 401);
  RequestHead missing = post();
  missing.signature.reset();
  EXPECT_EQ(head_reply(missing).status, 401);
  EXPECT_EQ(counters_->unauthorized.load(), 3u);
}

TEST_F(HandlerTest, AuthenticationComesBeforeOtherHeaderChecks) {
  RequestHead h = post();
  h.signature = "nope-nope-nope-nope";
  h.event.reset();
  h.delivery.reset();
  EXPECT_EQ(head_reply(h).status, 401);
}

TEST_F(HandlerTest, TheEventHeaderMustBePresentAndWellFormed) {
  RequestHead missing = post();
  missing.event.reset();
  EXPECT_EQ(head_reply(missing).status, 400);
  for (std::string_view bad :
       {"", "appointment_create", "APPOINTMENT-CREATE", "APPOINTMENT CREATE", "ÄPPOINTMENT", "A\nB"}) {
    RequestHead h = post();
    h.event = bad;
    EXPECT_EQ(head_reply(h).status, 400) << bad;
  }
  const std::string too_long(65, 'A');
  RequestHead h = post();
  h.event = too_long;
  EXPECT_EQ(head_reply(h).status, 400);
}

TEST_F(HandlerTest, UnknownWellFormedEventsAndPingAreAccepted) {
  const std::string longest(64, 'A');
  for (std::string_view event :
       {std::string_view("PING"), std::string_view("SOMETHING_NEW_2031"), std::string_view("PATIENT_FLAG_CMODIFY"),
        std::string_view("PATIENT_FLAG_MODIFY"), std::string_view(longest)}) {
    RequestHead h = post();
    h.event = event;
    auto d = full(h, R"({"receiver":{}})");
    ASSERT_TRUE(std::holds_alternative<Store>(d)) << event;
    EXPECT_EQ(std::get<Store>(d).record.event, event);
  }
}

TEST_F(HandlerTest, AnUnknownEventNameIsReportedOnceWhenStored) {
  RequestHead h = post();
  h.event = "BRAND_NEW_EVENT";
  const ReadBody accepted{0};
  AppendOutcome stored{AppendOutcome::Kind::kStored, 1, 1, {}, {}};
  EXPECT_TRUE(handler_.reply_for(h, accepted, stored).first_unknown_event);
  EXPECT_FALSE(handler_.reply_for(h, accepted, stored).first_unknown_event);
  EXPECT_EQ(counters_->unknown_events.load(), 2u);
  h.event = "PING";
  EXPECT_FALSE(handler_.reply_for(h, accepted, stored).first_unknown_event);
}

TEST_F(HandlerTest, TheDeliveryHeaderMustBePrintableAsciiOfBoundedLength) {
  RequestHead missing = post();
  missing.delivery.reset();
  EXPECT_EQ(head_reply(missing).status, 400);
  const std::string longest(128, 'd');
  const std::string too_long(129, 'd');
  for (std::string_view bad :
       {std::string_view(""), std::string_view("tab\there"), std::string_view("nul\0x", 5),
        std::string_view("caf\xC3\xA9"), std::string_view("del\x7f"), std::string_view(too_long)}) {
    RequestHead h = post();
    h.delivery = bad;
    EXPECT_EQ(head_reply(h).status, 400) << bad;
  }
  RequestHead ok = post();
  ok.delivery = longest;
  EXPECT_TRUE(std::holds_alternative<ReadBody>(handler_.on_head(ok)));
  ok.delivery = "with spaces and ~!@#$%^&*() are printable";
  EXPECT_TRUE(std::holds_alternative<ReadBody>(handler_.on_head(ok)));
}

TEST_F(HandlerTest, ARepeatedProtocolHeaderIsABadRequest) {
  RequestHead h = post();
  h.repeated_header = "X-drchrono-delivery";
  const Reply r = head_reply(h);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(error_of(r).find("more than once"), std::string::npos);
}

TEST_F(HandlerTest, ADeclaredBodyOverTheLimitIsRefusedBeforeItIsRead) {
  RequestHead h = post();
  h.content_length = 1024 * 1024 + 1;
  EXPECT_EQ(head_reply(h).status, 413);
  h.content_length = 1024 * 1024;
  EXPECT_TRUE(std::holds_alternative<ReadBody>(handler_.on_head(h)));
}

TEST_F(HandlerTest, TheBodyMustBeABoundedJsonObject) {
  for (std::string body : {std::string("not json"), std::string("[1,2]"), std::string(""), std::string("{\"a\":1"),
                           "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}"}) {
    auto d = full(post(), body);
    ASSERT_TRUE(std::holds_alternative<Reply>(d)) << body.substr(0, 20);
    EXPECT_EQ(std::get<Reply>(d).status, 400);
  }
}

TEST_F(HandlerTest, OnlyACommitEarnsA200) {
  const RequestHead h = post();
  const ReadBody accepted{0};
  EXPECT_EQ(handler_.reply_for(h, accepted, {AppendOutcome::Kind::kStored, 5, 1, {}, {}}).status, 200);
  const Reply dup = handler_.reply_for(h, accepted, {AppendOutcome::Kind::kDuplicate, 5, 2, {}, {}});
  EXPECT_EQ(dup.status, 200);
  EXPECT_NE(dup.body.find("duplicate"), std::string::npos);

  const Reply failed = handler_.reply_for(h, accepted, {AppendOutcome::Kind::kFailed, 0, 0, "disk I/O error", {}});
  EXPECT_EQ(failed.status, 503);
  EXPECT_TRUE(failed.retry_after_seconds.has_value());
  EXPECT_EQ(failed.body.find("disk"), std::string::npos) << "internal reasons stay in the log";

  const Reply busy = handler_.reply_for(h, accepted, {AppendOutcome::Kind::kOverloaded, 0, 0, {}, {}});
  EXPECT_EQ(busy.status, 503);
  EXPECT_TRUE(busy.retry_after_seconds.has_value());
  EXPECT_EQ(counters_->hooks_failed.load(), 1u);
  EXPECT_EQ(counters_->hooks_overloaded.load(), 1u);
}

TEST_F(HandlerTest, TheRecordCarriesTheSha256OfTheBodyExactlyAsReceived) {
  auto d = full(post(), kBody);
  ASSERT_TRUE(std::holds_alternative<Store>(d));
  EXPECT_EQ(std::get<Store>(d).record.payload_sha256, crypto::sha256(kBody));
}

TEST_F(HandlerTest, AConflictingDeliveryIsAnswered200NamingTheRowItConflictsWith) {
  const RequestHead h = post();
  AppendOutcome conflicting{AppendOutcome::Kind::kStored, 9, 1, {}, {}};
  conflicting.conflicts_with = 5;
  const Reply r = handler_.reply_for(h, ReadBody{0}, conflicting);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body), (nlohmann::json{{"status", "stored"}, {"seq", 9}, {"conflicts_with", 5}}));
  EXPECT_EQ(counters_->hooks_conflicting.load(), 1u);
  EXPECT_EQ(counters_->hooks_stored.load(), 1u);

  // An id seen for the first time answers exactly as before.
  const Reply plain = handler_.reply_for(h, ReadBody{0}, {AppendOutcome::Kind::kStored, 10, 1, {}, {}});
  EXPECT_EQ(plain.body, R"({"status":"stored","seq":10})");
  EXPECT_EQ(counters_->hooks_conflicting.load(), 1u);
}

TEST_F(HandlerTest, NoAnswerIsARedirect) {
  std::vector<Reply> replies = {head_reply(get("/webhook?msg=x")), head_reply(get("/nope")), head_reply(post("/x"))};
  for (const Reply& r : replies) EXPECT_FALSE(r.status >= 300 && r.status < 400);
}

TEST_F(HandlerTest, ErrorBodiesAreSmallJsonAndNeverEchoSecretsOrPayload) {
  RequestHead wrong = post();
  wrong.signature = "ZZMARKER-signature-value";
  std::vector<Reply> replies = {head_reply(wrong), head_reply(get("/webhook?msg=ZZMARKER%zz"))};
  auto bad_json = full(post(), R"({"object":{"name":"ZZMARKER Test Patient"},})");
  ASSERT_TRUE(std::holds_alternative<Reply>(bad_json));
  replies.push_back(std::get<Reply>(bad_json));
  for (const Reply& r : replies) {
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_TRUE(body.contains("error"));
    EXPECT_LT(r.body.size(), 200u);
    EXPECT_EQ(r.body.find("ZZMARKER"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos);
  }
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(rfc3339_millis(Clock::time_point(std::chrono::milliseconds(0))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_millis(Clock::time_point(std::chrono::milliseconds(1'798'761'599'999))),
            "2026-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace chronohook::webhook

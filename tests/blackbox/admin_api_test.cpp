// The pull API against the real daemon: every endpoint, every refusal, plain
// HTTP on loopback and TLS, and nothing sensitive in the log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/admin_api.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

class AdminApi : public ::testing::Test {
 protected:
  AdminApi() : daemon_(admin_config(), Launch{}), port_(admin_port(daemon_)) {}

  Response ask(std::string_view method, std::string_view target, std::string_view token = kBillingToken,
               std::string_view body = "") {
    return send_once(port_, admin_client_options(daemon_, false), admin_request(method, target, token, body));
  }
  Response get(std::string_view target, std::string_view token = kBillingToken) { return ask("GET", target, token); }

  Daemon daemon_;
  std::uint16_t port_;
};

TEST_F(AdminApi, ListsStoredEventsInSeqOrderWithNextAfter) {
  const auto seqs = send_hooks(daemon_, 5);
  const Response all = get("/v1/events");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.header("Content-Type"), "application/json");
  EXPECT_THAT(page_seqs(all.body), ElementsAreArray(seqs));
  EXPECT_EQ(page_next_after(all.body), seqs.back());

  const Response page = get("/v1/events?after=" + std::to_string(seqs[1]) + "&limit=2");
  EXPECT_THAT(page_seqs(page.body), ElementsAre(seqs[2], seqs[3]));
  EXPECT_EQ(page_next_after(page.body), seqs[3]);

  const Response past = get("/v1/events?after=" + std::to_string(seqs.back()));
  EXPECT_TRUE(page_seqs(past.body).empty());
  EXPECT_EQ(page_next_after(past.body), seqs.back());
}

TEST_F(AdminApi, AnEventCarriesEveryColumnAndItsPayloadAsAnObject) {
  const std::string body = synthetic_payload("APPOINTMENT_CREATE", 4242);
  const Request hook = signed_hook(kMainSecret, "APPOINTMENT_CREATE", body);
  const Response stored = daemon_.send(hook);
  ASSERT_EQ(stored.status, 200);
  const auto seq = json_int_field(stored.body, "seq").value();

  const Response one = get("/v1/events/" + std::to_string(seq));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(json_field_text(one.body, "seq"), std::to_string(seq));
  EXPECT_EQ(json_field_text(one.body, "webhook"), "main");
  EXPECT_EQ(json_field_text(one.body, "delivery_id"), delivery_of(hook));
  EXPECT_EQ(json_field_text(one.body, "event"), "APPOINTMENT_CREATE");
  EXPECT_EQ(json_field_text(one.body, "object_id"), "4242");
  EXPECT_EQ(json_field_text(one.body, "attempts"), "1");
  for (const char* key : {"received_at", "last_seen_at", "patient_id", "practice_group_id"}) {
    EXPECT_TRUE(json_field_text(one.body, key).has_value()) << key;
  }
  EXPECT_EQ(payload_of(one.body), compact_json(body));

  const Response missing = get("/v1/events/" + std::to_string(seq + 1000));
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(is_error_body(missing.body)) << missing.body;
}

TEST_F(AdminApi, FiltersByEventNamePrefixAndPatient) {
  send_hooks(daemon_, 2, "APPOINTMENT_CREATE");
  const auto patients = send_hooks(daemon_, 2, "PATIENT_CREATE");
  const auto flags = send_hooks(daemon_, 1, "PATIENT_FLAG_MODIFY");
  EXPECT_THAT(page_seqs(get("/v1/events?event=PATIENT_*").body), ElementsAre(patients[0], patients[1], flags[0]));
  EXPECT_THAT(page_seqs(get("/v1/events?event=PATIENT_CREATE&event=NOTHING_LIKE_IT").body),
              ElementsAre(patients[0], patients[1]));
  EXPECT_THAT(page_seqs(get("/v1/events?event=PATIENT_FLAG_MODIFY,PATIENT_CREATE").body),
              ElementsAre(patients[0], patients[1], flags[0]));

  const Response first = get("/v1/events/" + std::to_string(patients[0]));
  const auto patient = json_field_text(first.body, "patient_id");
  ASSERT_TRUE(patient.has_value()) << first.body;
  const auto same = page_seqs(get("/v1/events?patient=" + *patient).body);
  EXPECT_THAT(same, ::testing::Contains(patients[0]));
  EXPECT_TRUE(page_seqs(get("/v1/events?patient=no-such-patient").body).empty());
}

TEST_F(AdminApi, KeepsACursorPerConsumerThatMovesForwardOrRewindsOnRequest) {
  const auto seqs = send_hooks(daemon_, 4);
  const Response fresh = get("/v1/consumers/billing/cursor");
  ASSERT_EQ(fresh.status, 200);
  EXPECT_EQ(compact_json(fresh.body), R"({"consumer":"billing","seq":0})");

  const std::string to2 = "{\"seq\": " + std::to_string(seqs[1]) + "}";
  const Response put = ask("PUT", "/v1/consumers/billing/cursor", kBillingToken, to2);
  ASSERT_EQ(put.status, 200) << put.body;
  // Answered after the commit: the row is there when the answer arrives.
  ReadOnlyDb db(daemon_.db_path());
  EXPECT_EQ(db.count("SELECT seq FROM consumer_cursors WHERE consumer = 'billing'"), seqs[1]);
  EXPECT_EQ(json_int_field(get("/v1/consumers/billing/cursor").body, "seq"), seqs[1]);
  EXPECT_EQ(json_int_field(get("/v1/consumers/sync/cursor", kSyncToken).body, "seq"), 0);

  const Response next = get("/v1/consumers/billing/next?limit=1");
  EXPECT_THAT(page_seqs(next.body), ElementsAre(seqs[2]));
  EXPECT_EQ(page_next_after(next.body), seqs[2]);

  const std::string back = "{\"seq\": " + std::to_string(seqs[0]) + "}";
  const Response refused = ask("PUT", "/v1/consumers/billing/cursor", kBillingToken, back);
  EXPECT_EQ(refused.status, 409);
  EXPECT_THAT(refused.body, HasSubstr("rewind=true"));
  EXPECT_EQ(ask("PUT", "/v1/consumers/billing/cursor?rewind=true", kBillingToken, back).status, 200);
  EXPECT_EQ(json_int_field(get("/v1/consumers/billing/cursor").body, "seq"), seqs[0]);

  const Response past =
      ask("PUT", "/v1/consumers/billing/cursor", kBillingToken, "{\"seq\": " + std::to_string(seqs.back() + 100) + "}");
  EXPECT_EQ(past.status, 409);
  EXPECT_TRUE(is_error_body(past.body));
}

TEST_F(AdminApi, RefusesMissingAndWrongTokensWith401) {
  send_hooks(daemon_, 1);
  for (const char* token : {"", "bb-wrong-token-000000000000", "bb-billing-token-4f2a9e17c03"}) {
    const Response r = get("/v1/events", token);
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_TRUE(is_error_body(r.body)) << r.body;
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
    EXPECT_FALSE(r.keep_alive);
  }
  EXPECT_EQ(get("/not/an/endpoint", "").status, 401);
}

TEST_F(AdminApi, RefusesAnotherConsumersCursorWith403) {
  EXPECT_EQ(get("/v1/consumers/sync/cursor").status, 403);
  EXPECT_EQ(get("/v1/consumers/sync/next").status, 403);
  const Response put = ask("PUT", "/v1/consumers/sync/cursor", kBillingToken, "{\"seq\":0}");
  EXPECT_EQ(put.status, 403);
  EXPECT_TRUE(is_error_body(put.body));
  EXPECT_EQ(ask("PUT", "/v1/consumers/sync/cursor", kSyncToken, "{\"seq\":0}").status, 200);
}

TEST_F(AdminApi, RefusesBadParametersWith400NamingThemAndUnknownPathsWith404) {
  for (const auto& [target, name] :
       std::vector<std::pair<std::string, std::string>>{{"/v1/events?limit=1001", "limit"},
                                                        {"/v1/events?after=x", "after"},
                                                        {"/v1/events?wait=61", "wait"},
                                                        {"/v1/events?event=bad-name", "event"},
                                                        {"/v1/events?colour=red", "colour"},
                                                        {"/v1/events/minus-one", "seq"},
                                                        {"/v1/consumers/billing/next?limit=0", "limit"}}) {
    const Response r = get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_TRUE(is_error_body(r.body)) << r.body;
    EXPECT_THAT(r.body, HasSubstr(name)) << target;
  }
  EXPECT_EQ(ask("PUT", "/v1/consumers/billing/cursor", kBillingToken, "{\"seq\":\"one\"}").status, 400);
  const Response unknown = get("/v2/things");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(is_error_body(unknown.body));
  EXPECT_EQ(ask("POST", "/v1/events").status, 405);
  EXPECT_EQ(ask("PUT", "/v1/consumers/billing/cursor", kBillingToken, std::string(5000, ' ')).status, 413);
}

TEST_F(AdminApi, KeepsTheConnectionAliveAcrossReads) {
  send_hooks(daemon_, 3);
  Connection c(port_, admin_client_options(daemon_, false));
  for (int i = 0; i < 5; ++i) {
    const Response r = c.send(admin_request("GET", "/v1/consumers/billing/next?limit=1"));
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(c.send(admin_request("GET", "/v1/events/999999")).status, 404);
  EXPECT_EQ(c.send(admin_request("GET", "/v1/events?limit=1")).status, 200);
}

TEST_F(AdminApi, LogsOneAuditLineARequestWithoutPayloadOrToken) {
  const std::string marker = "audit-marker-" + random_hex(8);
  const Request hook =
      signed_hook(kMainSecret, "APPOINTMENT_CREATE", synthetic_payload("APPOINTMENT_CREATE", 77, marker));
  ASSERT_EQ(daemon_.send(hook).status, 200);
  const auto seqs = send_hooks(daemon_, 2);
  ASSERT_EQ(get("/v1/events?limit=3").status, 200);
  ASSERT_EQ(get("/v1/events", "bb-wrong-token-000000000000").status, 401);
  daemon_.stop();
  const std::string log = daemon_.log_text();
  EXPECT_THAT(log, HasSubstr("api consumer=billing endpoint=\"GET /v1/events\" status=200 events=3 first_seq="));
  EXPECT_THAT(log, HasSubstr("last_seq=" + std::to_string(seqs.back())));
  EXPECT_THAT(log, HasSubstr("api consumer=- endpoint=\"-\" status=401"));
  EXPECT_THAT(log, Not(HasSubstr(marker)));
  EXPECT_THAT(log, Not(HasSubstr(std::string(kBillingToken))));
  EXPECT_THAT(log, Not(HasSubstr("bb-wrong-token")));
}

TEST(AdminApiTls, ServesTheApiOverTlsWithItsOwnCertificate) {
  AdminOptions tls;
  tls.tls = true;
  Daemon daemon(admin_config(tls), Launch{});
  const auto seqs = send_hooks(daemon, 2);
  const std::uint16_t port = admin_port(daemon);
  const Response r = send_once(port, admin_client_options(daemon, true), admin_request("GET", "/v1/events"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(page_seqs(r.body), ElementsAreArray(seqs));
  EXPECT_THAT(daemon.log_text(), HasSubstr("(https, 2 reader(s), consumers: billing, sync)"));
  // Plain HTTP to a TLS listener gets no answer.
  EXPECT_THROW(send_once(port, admin_client_options(daemon, false, std::chrono::milliseconds(2000)),
                         admin_request("GET", "/v1/events")),
               std::runtime_error);
}

TEST(AdminApiConfig, IsOffWithoutAnAdminTable) {
  Daemon daemon;
  EXPECT_THAT(daemon.log_text(), Not(HasSubstr("admin api on")));
}

TEST(AdminApiConfig, CheckConfigRefusesPlainHttpOffLoopbackAndShowsConsumersWithoutTokens) {
  TempDir dir;
  write_self_signed_cert(dir.path());
  AdminOptions everywhere;
  everywhere.listen = "0.0.0.0:9443";
  const auto bad = dir.write_file("bad.toml", admin_config(everywhere));
  const CommandResult refused = run_chronohook({"check-config", "--config", bad.string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("config: [admin] listen (line"));
  EXPECT_THAT(refused.err, HasSubstr("plain HTTP is allowed only on a loopback address"));

  const auto good = dir.write_file("good.toml", admin_config());
  const CommandResult ok = run_chronohook({"check-config", "--config", good.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("[admin]\n  listen                  127.0.0.1:0 (plain http, loopback only)"));
  EXPECT_THAT(ok.out, HasSubstr("[[consumer]] \"billing\"\n  token                   from token (line"));
  EXPECT_THAT(ok.out, HasSubstr("[[consumer]] \"sync\""));
  EXPECT_THAT(ok.out, Not(HasSubstr(std::string(kBillingToken))));
  EXPECT_THAT(ok.out, Not(HasSubstr(std::string(kSyncToken))));
}

}  // namespace
}  // namespace chronohook::testing

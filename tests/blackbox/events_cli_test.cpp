// `chronohook events list|show|export` against a database the real daemon
// is writing: what an operator sees, what a script parses, and the exit
// codes scripts rely on (0 ok, 1 nothing found or a runtime failure, 2 bad
// input).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/events_cli.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kSharedDelivery = "bb-shared-delivery-0001";

// One daemon with two webhooks and seven hooks, shared by the suite: every
// test here only reads.
class EventsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ConfigOptions options;
    WebhookSpec other;
    other.name = "other";
    other.path = "/other";
    other.secret = std::string(kOtherSecret);
    options.webhooks.push_back(other);
    daemon_ = new Daemon(options);
    auto send = [](std::string_view secret, std::string_view event, std::int64_t object, std::string_view path,
                   std::string_view delivery = "") {
      const Response r = daemon_->send(signed_hook(secret, event, synthetic_payload(event, object), delivery, path));
      ASSERT_EQ(r.status, 200) << r.body;
    };
    send(kMainSecret, "APPOINTMENT_CREATE", 1001, "/webhook");
    send(kMainSecret, "APPOINTMENT_CREATE", 1002, "/webhook");
    send(kMainSecret, "PATIENT_CREATE", 5001, "/webhook");
    send(kMainSecret, "PATIENT_MODIFY", 5001, "/webhook");
    send(kOtherSecret, "APPOINTMENT_MODIFY", 1001, "/other");
    send(kMainSecret, "APPOINTMENT_DELETE", 1003, "/webhook", kSharedDelivery);
    send(kOtherSecret, "APPOINTMENT_DELETE", 1003, "/other", kSharedDelivery);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  static CommandResult events(std::vector<std::string> args) {
    args.insert(args.begin(), "events");
    args.push_back("--db");
    args.push_back(daemon_->db_path().string());
    return run_chronohook(args);
  }
  // `events list <args> --jsonl`, asserting success.
  static std::vector<CliEvent> list(std::vector<std::string> args) {
    args.insert(args.begin(), "list");
    args.push_back("--jsonl");
    const CommandResult r = events(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_event_lines(r.out);
  }
  // The seqs of stored rows that `keep` selects.
  template <typename Keep>
  static std::vector<std::int64_t> stored_seqs(Keep keep) {
    std::vector<std::int64_t> out;
    for (const Row& row : all_events(daemon_->db_path())) {
      if (keep(row)) out.push_back(std::stoll(*row.at("seq")));
    }
    return out;
  }

  static Daemon* daemon_;
};

Daemon* EventsCli::daemon_ = nullptr;

TEST_F(EventsCli, ListJsonLinesHasEveryEventInSeqOrderWithEveryFieldAndThePayloadAsAnObject) {
  const std::vector<Row> rows = all_events(daemon_->db_path());
  const std::vector<CliEvent> listed = list({});
  ASSERT_EQ(listed.size(), rows.size());
  ASSERT_EQ(rows.size(), 7u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(listed[i].seq, std::stoll(*rows[i].at("seq")));
    EXPECT_EQ(listed[i].delivery_id, *rows[i].at("delivery_id"));
    EXPECT_EQ(listed[i].webhook, *rows[i].at("webhook"));
    EXPECT_EQ(listed[i].event, *rows[i].at("event"));
    EXPECT_EQ(listed[i].received_at, *rows[i].at("received_at"));
    EXPECT_EQ(listed[i].patient_id, rows[i].at("patient_id"));
    EXPECT_TRUE(listed[i].payload_is_object);
    EXPECT_EQ(listed[i].payload, canonical_json(*rows[i].at("payload")));
  }
  for (const char* key : {"seq", "webhook", "delivery_id", "event", "received_at", "last_seen_at", "attempts",
                          "object_id", "patient_id", "practice_group_id", "payload"}) {
    EXPECT_THAT(listed[0].keys, ::testing::Contains(key));
  }
}

TEST_F(EventsCli, ListOnAPipeWithoutAFormatOptionPrintsJsonLines) {
  const CommandResult r = events({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_event_lines(r.out).size(), 7u);
}

TEST_F(EventsCli, ListJsonIsOneArrayOfTheSameEvents) {
  const CommandResult r = events({"list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<CliEvent> listed = parse_event_array(r.out);
  EXPECT_EQ(seqs_of(listed), seqs_of(list({})));
  for (const CliEvent& e : listed) EXPECT_TRUE(e.payload_is_object);
}

TEST_F(EventsCli, ListJsonOfNoMatchIsAnEmptyArray) {
  const CommandResult r = events({"list", "--json", "--patient", "no-such-patient"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(parse_event_array(r.out).empty());
}

TEST_F(EventsCli, ListTableShowsAHeaderAndOneLinePerEventButNoPayload) {
  const CommandResult r = events({"list", "--table"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("SEQ"));
  EXPECT_THAT(r.out, HasSubstr("DELIVERY_ID"));
  EXPECT_THAT(r.out, HasSubstr(std::string(kSharedDelivery)));
  EXPECT_THAT(r.out, Not(HasSubstr("receiver")));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 8);
}

TEST_F(EventsCli, ListFiltersByEventNameByPrefixAndBySeveralNames) {
  auto events_named = [](std::initializer_list<std::string_view> names) {
    return stored_seqs(
        [&](const Row& row) { return std::find(names.begin(), names.end(), *row.at("event")) != names.end(); });
  };
  EXPECT_EQ(seqs_of(list({"--event", "APPOINTMENT_CREATE"})), events_named({"APPOINTMENT_CREATE"}));
  EXPECT_EQ(seqs_of(list({"--event", "PATIENT_*"})), events_named({"PATIENT_CREATE", "PATIENT_MODIFY"}));
  EXPECT_EQ(seqs_of(list({"--event", "PATIENT_CREATE", "--event", "APPOINTMENT_MODIFY"})),
            events_named({"PATIENT_CREATE", "APPOINTMENT_MODIFY"}));
  EXPECT_EQ(list({"--event", "PATIENT_CREATE"}).size(), 1u);
}

TEST_F(EventsCli, ListFiltersByWebhookAndByPatient) {
  EXPECT_EQ(seqs_of(list({"--webhook", "other"})),
            stored_seqs([](const Row& r) { return r.at("webhook") == "other"; }));
  EXPECT_EQ(list({"--webhook", "other"}).size(), 2u);
  const auto patient = stored_seqs([](const Row& r) { return r.at("patient_id") == "901001"; });
  EXPECT_EQ(patient.size(), 2u);
  EXPECT_EQ(seqs_of(list({"--patient", "901001"})), patient);
}

TEST_F(EventsCli, ListFiltersByReceivedTimeWithSinceInclusiveAndUntilExclusive) {
  const std::vector<Row> rows = all_events(daemon_->db_path());
  const std::string middle = *rows[3].at("received_at");
  EXPECT_EQ(seqs_of(list({"--since", middle})),
            stored_seqs([&](const Row& r) { return *r.at("received_at") >= middle; }));
  EXPECT_EQ(seqs_of(list({"--until", middle})),
            stored_seqs([&](const Row& r) { return *r.at("received_at") < middle; }));
  EXPECT_EQ(list({"--since", "1h"}).size(), rows.size());
  EXPECT_TRUE(list({"--until", "1h"}).empty());
  EXPECT_TRUE(list({"--since", "2999-01-01T00:00:00Z"}).empty());
}

TEST_F(EventsCli, ListAfterACursorWithALimitReturnsTheNextPage) {
  const std::vector<std::int64_t> all = seqs_of(list({}));
  EXPECT_THAT(seqs_of(list({"--after", std::to_string(all[1]), "--limit", "2"})), ElementsAre(all[2], all[3]));
  EXPECT_EQ(list({"--limit", "3"}).size(), 3u);
  EXPECT_TRUE(list({"--after", std::to_string(all.back())}).empty());
}

TEST_F(EventsCli, ShowBySeqPrintsTheFieldsAndThePayloadPrettyPrinted) {
  const std::vector<CliEvent> all = list({});
  const CommandResult r = events({"show", std::to_string(all[2].seq)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(all[2].delivery_id));
  EXPECT_THAT(r.out, HasSubstr("PATIENT_CREATE"));
  EXPECT_THAT(r.out, HasSubstr("\npayload\n{\n  \""));
  EXPECT_THAT(r.out, HasSubstr("\n  \"object\": {\n"));
  EXPECT_THAT(r.out, HasSubstr("\n    \"id\": 5001,\n"));
}

TEST_F(EventsCli, ShowJsonPrintsTheEventAsTheListDoes) {
  const std::vector<CliEvent> all = list({});
  const CommandResult r = events({"show", "--json", std::to_string(all[0].seq)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<CliEvent> shown = parse_event_lines(r.out);
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].seq, all[0].seq);
  EXPECT_EQ(shown[0].payload, all[0].payload);
  EXPECT_EQ(shown[0].keys, all[0].keys);
}

TEST_F(EventsCli, ShowByDeliveryIdFindsTheEvent) {
  const std::vector<CliEvent> all = list({});
  const CommandResult r = events({"show", "--json", all[4].delivery_id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(seqs_of(parse_event_lines(r.out)), ElementsAre(all[4].seq));
}

TEST_F(EventsCli, ShowOfADeliveryIdOnTwoWebhooksShowsBothAndSaysSo) {
  const CommandResult r = events({"show", "--json", std::string(kSharedDelivery)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<CliEvent> shown = parse_event_lines(r.out);
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0].webhook, "main");
  EXPECT_EQ(shown[1].webhook, "other");
  EXPECT_THAT(r.err, HasSubstr("matches 2 events"));
}

TEST_F(EventsCli, ShowOfAnUnknownSeqOrDeliveryIdExitsOneAndSaysWhat) {
  CommandResult r = events({"show", "999999"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no event with seq 999999"));
  r = events({"show", "no-such-delivery"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("delivery id \"no-such-delivery\""));
  EXPECT_TRUE(r.out.empty());
}

TEST_F(EventsCli, ExportWritesAnOwnerOnlyFileWhoseLinesAreTheStoredRows) {
  TempDir out_dir;
  const auto file = out_dir.path() / "events.jsonl";
  const CommandResult r = events({"export", "--output", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(out_dir.path())) files.push_back(entry.path());
  EXPECT_THAT(files, ElementsAre(file)) << "no temporary file is left behind";

  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::vector<CliEvent> exported = parse_event_lines(text);
  const std::vector<Row> rows = all_events(daemon_->db_path());
  ASSERT_EQ(exported.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(exported[i].seq, std::stoll(*rows[i].at("seq")));
    EXPECT_EQ(exported[i].payload, canonical_json(*rows[i].at("payload")));
  }
  EXPECT_EQ(text, events({"list", "--jsonl"}).out) << "export and list print the same JSON";
  EXPECT_THAT(r.err, HasSubstr("exported 7 events, seq " + std::to_string(exported.front().seq) + ".." +
                               std::to_string(exported.back().seq) + ", " + std::to_string(text.size()) + " bytes"));
}

TEST_F(EventsCli, ExportToStdoutTakesTheSameFilters) {
  const CommandResult r = events({"export", "--webhook", "other"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(seqs_of(parse_event_lines(r.out)), seqs_of(list({"--webhook", "other"})));
  EXPECT_THAT(r.err, HasSubstr("exported 2 events"));
}

TEST_F(EventsCli, TheConfigsStoragePathFindsTheDatabase) {
  const CommandResult r = run_chronohook({"events", "list", "--jsonl", "-c", daemon_->config_path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_event_lines(r.out).size(), 7u);
}

TEST_F(EventsCli, BadInputExitsTwoWithAMessageNamingTheOption) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"list", "--limit", "0"}, "--limit"},
      {{"list", "--limit", "lots"}, "--limit"},
      {{"list", "--after", "-5"}, "--after"},
      {{"list", "--since", "yesterday"}, "--since"},
      {{"list", "--until", "3 weeks"}, "--until"},
      {{"list", "--event", "APPOINTMENT-CREATE"}, "--event"},
      {{"list", "--event", "PATIENT*_X"}, "--event"},
      {{"list", "--json", "--jsonl"}, "--json"},
      {{"list", "--no-such-option"}, "--no-such-option"},
      {{"tail", "-n", "many"}, "--lines"},
      {{"export", "--since", "2026-13-45"}, "--since"},
  };
  for (const auto& [args, option] : cases) {
    const CommandResult r = events(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_THAT(r.err, HasSubstr(option)) << ::testing::PrintToString(args);
    EXPECT_TRUE(r.out.empty()) << ::testing::PrintToString(args);
  }
  EXPECT_EQ(run_chronohook({"events", "show"}).exit_code, 2);
  EXPECT_EQ(run_chronohook({"events"}).exit_code, 2);
}

TEST(EventsCliDatabase, AMissingDatabaseIsARuntimeFailureNamingTheFile) {
  TempDir dir;
  const auto missing = dir.path() / "missing.db";
  const CommandResult r = run_chronohook({"events", "list", "--db", missing.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.db"));
  EXPECT_FALSE(std::filesystem::exists(missing)) << "a reader never creates the database";
}

TEST(EventsCliDatabase, AConfigThatDoesNotLoadIsExitTwoAndSuggestsDb) {
  TempDir dir;
  const CommandResult r = run_chronohook({"events", "list", "-c", (dir.path() / "none.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--db"));
}

}  // namespace
}  // namespace chronohook::testing

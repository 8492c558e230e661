// The pure half of `chronohook events`: options to filters, events to text.
#include "app/events_format.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace chronohook::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const auto kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 29} + std::chrono::hours(12);

StoredEvent sample_event() {
  StoredEvent e;
  e.seq = 42;
  e.webhook = "main";
  e.delivery_id = "d-0001";
  e.event = "APPOINTMENT_CREATE";
  e.received_at = "2026-11-29T06:57:22.123Z";
  e.last_seen_at = "2026-11-29T06:58:00.000Z";
  e.attempts = 2;
  e.object_id = "5551";
  e.patient_id = "77001";
  e.practice_group_id = "7001";
  e.payload = R"({"receiver":{"id":31},"object":{"id":5551,"patient":"77001"},"practice_group_id":7001})";
  return e;
}

TEST(EventsFilter, EveryOptionLandsInTheFilter) {
  FilterOptions o;
  o.events = {"APPOINTMENT_CREATE", "PATIENT_*"};
  o.webhook = "main";
  o.patient = "77001";
  o.since = "2026-11-29T06:00:00Z";
  o.until = "2h";
  o.after = 17;
  o.limit = 5;
  auto f = build_filter(o, 100, kNow);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->events, (std::vector<std::string>{"APPOINTMENT_CREATE", "PATIENT_*"}));
  EXPECT_EQ(f->webhook, "main");
  EXPECT_EQ(f->patient, "77001");
  EXPECT_EQ(f->since, "2026-11-29T06:00:00.000Z");
  EXPECT_EQ(f->until, "2026-11-29T10:00:00.000Z");
  EXPECT_EQ(f->after, 17);
  EXPECT_EQ(f->limit, 5u);
}

TEST(EventsFilter, TheLimitFallsBackToTheCommandsDefault) {
  auto f = build_filter({}, 100, kNow);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->limit, 100u);
  EXPECT_EQ(f->after, 0);
}

TEST(EventsFilter, FarFutureTimesAndHugeAgesAreBoundsNotOverflows) {
  FilterOptions o;
  o.since = "2999-01-01T00:00:00Z";
  o.until = "9999-12-31T23:59:59.999Z";
  auto f = build_filter(o, 100, kNow);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->since, "2999-01-01T00:00:00.000Z");
  EXPECT_EQ(f->until, "9999-12-31T23:59:59.999Z");
  o = {};
  o.since = "99999999999d";
  f = build_filter(o, 100, kNow);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->since, "1970-01-01T00:00:00.000Z");
}

TEST(EventsFilter, EachBadOptionIsNamedInTheError) {
  auto message = [](const FilterOptions& o) {
    auto f = build_filter(o, 100, kNow);
    return f.ok() ? std::string("accepted") : f.error().message;
  };
  FilterOptions o;
  o.events = {"APPOINTMENT-CREATE"};
  EXPECT_THAT(message(o), StartsWith("--event: "));
  o.events = {"PATIENT_*_X"};
  EXPECT_THAT(message(o), StartsWith("--event: "));
  o.events = {"*"};
  EXPECT_THAT(message(o), StartsWith("--event: "));
  o = {};
  o.since = "yesterday";
  EXPECT_THAT(message(o), StartsWith("--since: "));
  o = {};
  o.until = "7x";
  EXPECT_THAT(message(o), StartsWith("--until: "));
  o = {};
  o.since = "1h";
  o.until = "2h";  // two hours ago is before one hour ago
  EXPECT_THAT(message(o), StartsWith("--until: "));
  o = {};
  o.after = -1;
  EXPECT_THAT(message(o), StartsWith("--after: "));
  o = {};
  o.limit = 0;
  EXPECT_THAT(message(o), StartsWith("--limit: "));
  o = {};
  o.webhook = "";
  EXPECT_THAT(message(o), StartsWith("--webhook: "));
  o = {};
  o.patient = "";
  EXPECT_THAT(message(o), StartsWith("--patient: "));
}

TEST(EventsFilter, AnErrorNeverEchoesControlCharacters) {
  FilterOptions o;
  o.events = {"BAD\x1b[2J"};
  auto f = build_filter(o, 100, kNow);
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.error().message, Not(HasSubstr("\x1b")));
}

TEST(EventsOutput, ATerminalGetsATableAndAnythingElseJsonLines) {
  EXPECT_EQ(choose_format(false, false, false, true), OutputFormat::kTable);
  EXPECT_EQ(choose_format(false, false, false, false), OutputFormat::kJsonLines);
  EXPECT_EQ(choose_format(false, true, false, true), OutputFormat::kJson);
  EXPECT_EQ(choose_format(false, false, true, true), OutputFormat::kJsonLines);
  EXPECT_EQ(choose_format(true, false, false, false), OutputFormat::kTable);
}

TEST(EventsShow, OnlyAPositiveDecimalNumberIsASeq) {
  EXPECT_EQ(parse_seq("42"), 42);
  EXPECT_EQ(parse_seq("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_seq("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_seq("0"), std::nullopt);
  EXPECT_EQ(parse_seq("-3"), std::nullopt);
  EXPECT_EQ(parse_seq("+3"), std::nullopt);
  EXPECT_EQ(parse_seq("42a"), std::nullopt);
  EXPECT_EQ(parse_seq(""), std::nullopt);
  EXPECT_EQ(parse_seq("3f2a9c1e-delivery"), std::nullopt);
}

TEST(EventsOutput, PrintableEscapesEverythingATerminalCouldActOn) {
  EXPECT_EQ(printable("77001"), "77001");
  EXPECT_EQ(printable("a\x1b[31mb"), "a\\x1b[31mb");
  EXPECT_EQ(printable("tab\there\n"), "tab\\x09here\\x0a");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\\xc3\\xa9");
}

TEST(EventsOutput, TheTableHasAHeaderAndOneAlignedLinePerEventWithoutThePayload) {
  StoredEvent a = sample_event();
  StoredEvent b = sample_event();
  b.seq = 1234;
  b.event = "PATIENT_MODIFY";
  b.patient_id.reset();
  const std::string table = format_table({a, b}, true);
  EXPECT_EQ(table,
            " SEQ  RECEIVED_AT               WEBHOOK  EVENT               DELIVERY_ID  PATIENT  ATTEMPTS\n"
            "  42  2026-11-29T06:57:22.123Z  main     APPOINTMENT_CREATE  d-0001       77001           2\n"
            "1234  2026-11-29T06:57:22.123Z  main     PATIENT_MODIFY      d-0001       -               2\n");
  EXPECT_THAT(table, Not(HasSubstr("receiver")));
}

TEST(EventsOutput, TableWidthsCarriedAcrossCallsOnlyGrow) {
  TableWidths widths{};
  StoredEvent wide = sample_event();
  wide.webhook = "a-rather-long-webhook-name";
  const std::string first = format_table({wide}, true, &widths);
  const std::string second = format_table({sample_event()}, false, &widths);
  const std::string first_row = first.substr(first.find('\n') + 1);
  EXPECT_EQ(second.size(), first_row.size()) << first << second;
}

TEST(EventsOutput, APatientIdWithEscapeSequencesIsEscapedInTheTable) {
  StoredEvent e = sample_event();
  e.patient_id = "\x1b]0;owned\x07";
  EXPECT_THAT(format_table({e}, false), Not(HasSubstr("\x1b")));
}

TEST(EventsShow, TheDetailShowsEveryFieldAndThePayloadPrettyPrintedInSentOrder) {
  StoredEvent e = sample_event();
  e.conflicts_with = 7;
  const std::string text = format_event_detail(e);
  EXPECT_THAT(text, HasSubstr("seq               42\n"));
  EXPECT_THAT(text, HasSubstr("delivery_id       d-0001\n"));
  EXPECT_THAT(text, HasSubstr("patient_id        77001\n"));
  EXPECT_THAT(text, HasSubstr("conflicts_with    7\n"));
  EXPECT_THAT(text, HasSubstr("payload\n{\n  \"receiver\": {\n    \"id\": 31\n  },\n  \"object\": {"));
  EXPECT_LT(text.find("\"receiver\""), text.find("\"practice_group_id\""));
}

TEST(EventsShow, ControlCharactersInThePayloadStayEscaped) {
  StoredEvent e = sample_event();
  e.payload = R"({"object":{"note":"\u001b[2J"}})";
  EXPECT_THAT(format_event_detail(e), Not(HasSubstr("\x1b")));
}

TEST(EventsExport, TheProgressBarFillsWithTheFraction) {
  EXPECT_EQ(progress_bar(0, 10, 10), "[          ]   0%  0/10 events");
  EXPECT_EQ(progress_bar(5, 10, 10), "[#####     ]  50%  5/10 events");
  EXPECT_EQ(progress_bar(10, 10, 10), "[##########] 100%  10/10 events");
  EXPECT_EQ(progress_bar(0, 0, 4), "[####] 100%  0/0 events");
}

TEST(EventsExport, TheSummarySaysCountRangeBytesAndTime) {
  EXPECT_EQ(export_summary(3, 10, 12, 2048, std::chrono::milliseconds(1500)),
            "exported 3 events, seq 10..12, 2048 bytes (0.0 MiB) in 1.5 s");
  EXPECT_EQ(export_summary(1, 10, 10, 5, std::chrono::milliseconds(0)),
            "exported 1 event, seq 10..10, 5 bytes (0.0 MiB) in 0.0 s");
  EXPECT_EQ(export_summary(0, 0, 0, 0, std::chrono::milliseconds(200)), "exported 0 events, 0 bytes in 0.2 s");
}

TEST(EventsErrors, TheCommandIsNamedOnceEvenWhenTheReaderAlreadySaidEvents) {
  EXPECT_EQ(command_error("list", "events: no database at x.db"), "events list: no database at x.db");
  EXPECT_EQ(command_error("tail", "--since: expected a time"), "events tail: --since: expected a time");
}

}  // namespace
}  // namespace chronohook::app

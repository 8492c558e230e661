// Payloads are protected health information and the signature header is the
// secret itself: neither may reach a log line, at any level. The test plants
// a random marker everywhere a request can carry data the daemon must not
// log, runs a few hundred requests at level debug, and searches the log. It
// also requires access lines, so a daemon that logged nothing would fail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

TEST(LogHygiene, NeitherPayloadsNorQueryValuesNorSecretsReachTheLog) {
  ConfigOptions options;
  options.log_level = "debug";
  Daemon daemon(options);
  const std::string marker = "ZZMARKER" + random_hex(8);
  constexpr int kHooks = 240;

  int stored = 0;
  int requests = 0;
  // Counts a request as it goes out, for the access-line check at the end.
  auto sent = [&requests](Response r) {
    ++requests;
    return r.status;
  };
  {
    auto connection = daemon.connect();
    for (int i = 0; i < kHooks; ++i) {
      const std::string event = i % 3 == 0 ? "PATIENT_CREATE" : (i % 3 == 1 ? "APPOINTMENT_MODIFY" : "ZZ_NEW_EVENT");
      stored += sent(connection->send(signed_hook(kMainSecret, event, synthetic_payload(event, i, marker)))) == 200;
    }
  }
  EXPECT_EQ(stored, kHooks);

  // Each kind of refusal, each carrying the marker where the sender put data.
  const Request wrong_signature =
      signed_hook(marker + "-as-signature", "TASK_CREATE", synthetic_payload("TASK_CREATE", 1, marker));
  EXPECT_EQ(sent(daemon.send(wrong_signature)), 401);
  Request bad_json = signed_hook(kMainSecret, "TASK_CREATE");
  bad_json.body = "{\"object\": {\"note\": \"" + marker + "\"";
  EXPECT_EQ(sent(daemon.send(bad_json)), 400);
  Request array_body = signed_hook(kMainSecret, "TASK_CREATE");
  array_body.body = "[\"" + marker + "\"]";
  EXPECT_EQ(sent(daemon.send(array_body)), 400);
  const Request duplicate = signed_hook(kMainSecret, "TASK_CREATE", synthetic_payload("TASK_CREATE", 2, marker));
  EXPECT_EQ(sent(daemon.send(duplicate)), 200);
  EXPECT_EQ(sent(daemon.send(duplicate)), 200);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(sent(daemon.send(verification_get("msg=" + marker + std::to_string(i)))), 200);
  }
  EXPECT_EQ(sent(daemon.send(verification_get("msg=" + marker + "%ZZ"))), 400);
  EXPECT_EQ(sent(daemon.send(verification_get("msg=" + marker + std::string(1100, 'm')))), 400);
  {
    WriteLock lock(daemon.db_path());
    EXPECT_EQ(sent(daemon.send(signed_hook(kMainSecret, "TASK_CREATE", synthetic_payload("TASK_CREATE", 3, marker)))),
              503);
  }

  ASSERT_EQ(daemon.stop(), 0);
  const std::string log = daemon.log_text();
  EXPECT_EQ(count_occurrences(log, marker), 0u) << daemon.log_tail(10);
  EXPECT_EQ(count_occurrences(log, std::string(kMainSecret)), 0u);
  // Test Patient names from the synthetic payloads are PHI stand-ins too.
  EXPECT_EQ(count_occurrences(log, "Patient-0"), 0u);
  // The log is not simply empty: one access line per request.
  EXPECT_EQ(count_occurrences(log, " access method="), static_cast<std::size_t>(requests));
  EXPECT_EQ(count_occurrences(log, "unknown event name ZZ_NEW_EVENT"), 1u);
  EXPECT_THAT(log, HasSubstr("status=401"));
  EXPECT_THAT(log, HasSubstr("status=503"));
}

TEST(LogHygiene, AccessLinesCanBeSwitchedOff) {
  ConfigOptions options;
  options.access_log = false;
  Daemon daemon(options);
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
  EXPECT_EQ(daemon.send(verification_get("msg=x")).status, 200);
  ASSERT_EQ(daemon.stop(), 0);
  const std::string log = daemon.log_text();
  EXPECT_EQ(count_occurrences(log, " access method="), 0u);
  EXPECT_THAT(log, HasSubstr("listening on"));
}

}  // namespace
}  // namespace chronohook::testing

// [log] format = "json" (here through CHRONOHOOK_LOG_FORMAT, as a container
// would set it): every stderr line is one JSON object with time, level and
// message, which a JSON parser reads back whatever the requests held, and
// still without a payload byte, a query value or a secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "support/daemon.hpp"
#include "support/hooks.hpp"
#include "support/json_lines.hpp"

namespace chronohook::testing {
namespace {

TEST(JsonLog, WithFormatJsonEveryLineIsAJsonObjectWithTimeLevelAndMessage) {
  ConfigOptions options;
  options.log_level = "debug";
  Launch launch;
  launch.env = {{"CHRONOHOOK_LOG_FORMAT", "json"}};
  Daemon daemon(options, launch);

  const std::string marker = "ZZMARKER" + random_hex(8);
  int requests = 0;
  auto sent = [&requests](const Response& r) {
    ++requests;
    return r.status;
  };
  EXPECT_EQ(
      sent(daemon.send(signed_hook(kMainSecret, "PATIENT_CREATE", synthetic_payload("PATIENT_CREATE", 1, marker)))),
      200);
  EXPECT_EQ(sent(daemon.send(signed_hook(kMainSecret, "ZZ_NEW_EVENT", synthetic_payload("ZZ_NEW_EVENT", 2, marker)))),
            200);
  EXPECT_EQ(sent(daemon.send(signed_hook(marker + "\"\\-as-signature"))), 401);
  EXPECT_EQ(sent(daemon.send(verification_get("msg=" + marker))), 200);
  // A path with bytes JSON must escape: the access line sanitizes it to '?'.
  Request odd = verification_get("msg=x", "/web\"hook\\%01");
  EXPECT_EQ(sent(daemon.send(odd)), 404);
  ASSERT_EQ(daemon.stop(), 0);

  const std::string log = daemon.log_text();
  const std::vector<JsonLogLine> lines = parse_json_log(log);
  ASSERT_GE(lines.size(), 6u) << log;
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  const std::set<std::string> levels{"trace", "debug", "info", "warning", "error", "critical"};
  int access = 0;
  for (const JsonLogLine& line : lines) {
    ASSERT_TRUE(line.parsed) << "not a JSON object of strings: " << line.text;
    EXPECT_EQ(line.keys, (std::vector<std::string>{"time", "level", "message"})) << line.text;
    EXPECT_TRUE(std::regex_match(line.time, kTime)) << line.text;
    EXPECT_TRUE(levels.contains(line.level)) << line.text;
    if (line.message.starts_with("access method=")) ++access;
  }
  EXPECT_EQ(access, requests);
  bool listening = false;
  bool unknown_event = false;
  for (const JsonLogLine& line : lines) {
    listening = listening || (line.level == "info" && line.message.starts_with("listening on 127.0.0.1:"));
    unknown_event = unknown_event || line.message.find("unknown event name ZZ_NEW_EVENT") != std::string::npos;
  }
  EXPECT_TRUE(listening) << log;
  EXPECT_TRUE(unknown_event) << log;
  EXPECT_EQ(log.find(marker), std::string::npos) << "a payload, signature or query byte reached the log";
  EXPECT_EQ(log.find(std::string(kMainSecret)), std::string::npos);
  EXPECT_EQ(log.find("Patient-0"), std::string::npos);
}

TEST(JsonLog, CheckConfigShowsTheFormatAndWhereItCameFrom) {
  TempDir dir;
  ConfigOptions options;
  options.tls = false;
  const auto config = dir.write_file("chronohook.toml", make_config(options));
  const CommandResult r =
      run_chronohook({"check-config", "--config", config.string()}, {{"CHRONOHOOK_LOG_FORMAT", "json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("  format                  json (from CHRONOHOOK_LOG_FORMAT)"));
}

}  // namespace
}  // namespace chronohook::testing

// Log line formats and the JOURNAL_STREAM check: JSON lines that any JSON
// parser reads back (nlohmann as the oracle), whatever bytes a message holds.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "config_support.hpp"
#include "log/sinks.hpp"

namespace chronohook::logging::detail {
namespace {

using config_test::env_of;
using config_test::error_of;
using config_test::hook;
using config_test::load;

std::string json_line(spdlog::level::level_enum level, std::string_view message,
                      spdlog::log_clock::time_point when = spdlog::log_clock::now()) {
  spdlog::details::log_msg msg("chronohook", level, spdlog::string_view_t(message.data(), message.size()));
  msg.time = when;
  spdlog::memory_buf_t out;
  make_json_formatter()->format(msg, out);
  return std::string(out.data(), out.size());
}

TEST(LogJson, EachEntryIsOneJsonObjectOnOneLineWithTimeLevelAndMessage) {
  // 2026-12-06T20:36:12.045Z
  const auto when = spdlog::log_clock::time_point(std::chrono::milliseconds(1796589372045));
  const std::string line = json_line(spdlog::level::warn, "listening on 0.0.0.0:8443 (https)", when);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto json = nlohmann::json::parse(line);
  ASSERT_TRUE(json.is_object());
  EXPECT_EQ(json.size(), 3u);
  EXPECT_EQ(json.at("time"), "2026-12-06T20:36:12.045Z");
  EXPECT_EQ(json.at("level"), "warning");
  EXPECT_EQ(json.at("message"), "listening on 0.0.0.0:8443 (https)");
}

TEST(LogJson, LevelsAreSpdlogsNames) {
  for (const auto& [level, name] : {std::pair{spdlog::level::trace, "trace"},
                                    {spdlog::level::debug, "debug"},
                                    {spdlog::level::info, "info"},
                                    {spdlog::level::err, "error"},
                                    {spdlog::level::critical, "critical"}}) {
    EXPECT_EQ(nlohmann::json::parse(json_line(level, "x")).at("level"), name);
  }
}

TEST(LogJson, QuotesBackslashesAndControlCharactersAreEscapedAndReadBackExactly) {
  const std::string message = std::string("say \"hi\" C:\\dir\nnext\tline\r\x01\x1f\x7f end", 30);
  const std::string line = json_line(spdlog::level::info, message);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_EQ(nlohmann::json::parse(line).at("message"), message);
}

TEST(LogJson, ValidUtf8IsKeptAndInvalidBytesBecomeReplacementCharacters) {
  const std::string valid = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  EXPECT_EQ(nlohmann::json::parse(json_line(spdlog::level::info, valid)).at("message"), valid);

  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // surrogate and a byte that never starts UTF-8.
  const std::string invalid =
      "a\x80"
      "b\xe2\x82"
      "c\xc0\xaf"
      "d\xed\xa0\x80"
      "e\xff";
  const auto json = nlohmann::json::parse(json_line(spdlog::level::info, invalid));  // throws on invalid UTF-8
  const std::string r = "\xef\xbf\xbd";  // U+FFFD, one per byte that starts no valid sequence
  EXPECT_EQ(json.at("message"), "a" + r + "b" + r + r + "c" + r + r + "d" + r + r + r + "e" + r);
}

TEST(LogJson, EveryByteValueStillGivesParseableJson) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const auto json = nlohmann::json::parse(json_line(spdlog::level::info, all));  // throws if not JSON
  EXPECT_EQ(json.at("message").get<std::string>().substr(0, 32), std::string(all.data(), 32));
}

TEST(LogJournal, PrioritiesFollowSyslog) {
  EXPECT_EQ(syslog_priority(spdlog::level::trace), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::debug), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::info), 6);
  EXPECT_EQ(syslog_priority(spdlog::level::warn), 4);
  EXPECT_EQ(syslog_priority(spdlog::level::err), 3);
  EXPECT_EQ(syslog_priority(spdlog::level::critical), 2);
}

TEST(LogJournal, TheStreamFallbackPrefixesThePriorityAndCarriesNoTimestamp) {
  spdlog::details::log_msg msg("chronohook", spdlog::level::err, "store: disk full\nsecond part");
  spdlog::memory_buf_t out;
  make_journal_stream_formatter()->format(msg, out);
  EXPECT_EQ(std::string(out.data(), out.size()), "<3>store: disk full second part\n");
}

std::string stderr_device_inode(long long inode_delta = 0) {
  struct stat st {};
  EXPECT_EQ(::fstat(STDERR_FILENO, &st), 0);
  return std::to_string(st.st_dev) + ":" + std::to_string(static_cast<long long>(st.st_ino) + inode_delta);
}

TEST(LogJournal, JournalStreamCountsOnlyWhenItNamesTheFileStderrIsOpenOn) {
  EXPECT_TRUE(stderr_is_journal_stream(stderr_device_inode()));
  EXPECT_FALSE(stderr_is_journal_stream(stderr_device_inode(1)));
  for (const char* malformed : {"", ":", "12", "12:", ":34", "a:b", "12:34:56", "-1:5", " 1:2", "1:2 "}) {
    EXPECT_FALSE(stderr_is_journal_stream(malformed)) << malformed;
  }
}

TEST(LogConfigFormat, FormatIsTextByDefaultAndJsonWhenAsked) {
  auto plain = load(hook());
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->log.format, LogFormat::kText);
  auto json = load("[log]\nformat = \"json\"\n" + hook());
  ASSERT_TRUE(json.ok()) << json.error().message;
  EXPECT_EQ(json->log.format, LogFormat::kJson);
}

TEST(LogConfigFormat, TheEnvironmentCanSetTheFormat) {
  auto config = load("[log]\nformat = \"text\"\n" + hook(), env_of({{"CHRONOHOOK_LOG_FORMAT", "json"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->log.format, LogFormat::kJson);
  EXPECT_EQ(config->env_settings.at("log.format").variable, "CHRONOHOOK_LOG_FORMAT");
}

TEST(LogConfigFormat, AnUnknownFormatIsRefusedNamingTheChoices) {
  const std::string message = error_of(load("[log]\nformat = \"xml\"\n" + hook()));
  EXPECT_NE(message.find("[log] format (line 2) is \"xml\""), std::string::npos) << message;
  EXPECT_NE(message.find("\"json\""), std::string::npos) << message;
  const std::string from_env = error_of(load(hook(), env_of({{"CHRONOHOOK_LOG_FORMAT", "logfmt"}})));
  EXPECT_NE(from_env.find("CHRONOHOOK_LOG_FORMAT"), std::string::npos) << from_env;
}

}  // namespace
}  // namespace chronohook::logging::detail

// [retention]: off without the table, an age and/or a count when on, and a
// table that limits nothing is refused rather than silently keeping all.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "unit/config_support.hpp"

namespace chronohook::config_test {
namespace {

using namespace std::chrono_literals;

TEST(ConfigRetention, IsOffWithoutTheTable) {
  auto config = load(hook());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->retention.enabled);
}

TEST(ConfigRetention, ReadsEveryKeyAndKeepsTheDefaultsOfTheRest) {
  auto config = load(hook() + "[retention]\nmax_age = \"30d\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const RetentionConfig& r = config->retention;
  const RetentionConfig defaults;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.max_age, std::chrono::seconds(30 * 86400));
  EXPECT_FALSE(r.max_events.has_value());
  EXPECT_TRUE(r.keep_unacknowledged);
  EXPECT_EQ(r.interval, defaults.interval);
  EXPECT_EQ(r.batch_size, defaults.batch_size);
  EXPECT_TRUE(config->warnings.empty());

  auto all = load(hook() +
                  "[retention]\nmax_age = \"12h\"\nmax_events = 5000\nkeep_unacknowledged = true\n"
                  "interval = \"15m\"\nbatch_size = 200\n");
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->retention.max_age, std::chrono::seconds(12h));
  EXPECT_EQ(all->retention.max_events, 5000u);
  EXPECT_EQ(all->retention.interval, std::chrono::seconds(15min));
  EXPECT_EQ(all->retention.batch_size, 200u);
}

TEST(ConfigRetention, AnEmptyTableIsRefusedBecauseItWouldDeleteNothing) {
  const std::string message = error_of(load(hook() + "[retention]\ninterval = \"1h\"\n"));
  EXPECT_TRUE(Has(message, "[retention] sets neither max_age nor max_events"));
  EXPECT_TRUE(Has(message, "remove the table to keep every event"));
}

TEST(ConfigRetention, KeepUnacknowledgedFalseIsAcceptedWithAWarning) {
  auto config = load(hook() + "[retention]\nmax_events = 10\nkeep_unacknowledged = false\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->retention.keep_unacknowledged);
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_TRUE(Has(config->warnings[0], "keep_unacknowledged = false"));
}

TEST(ConfigRetention, RefusesBadAgesCountsAndIntervalsNamingTheKey) {
  EXPECT_TRUE(Has(error_of(load(hook() + "[retention]\nmax_age = \"30 days\"\n")), "[retention] max_age (line"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[retention]\nmax_age = 30\n")), "max_age"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[retention]\nmax_events = 0\n")), "max_events"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[retention]\nmax_events = 9\ninterval = \"30d\"\n")), "interval"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[retention]\nmax_events = 9\nbatch_size = 0\n")), "batch_size"));
  EXPECT_TRUE(Has(error_of(load(hook() + "[retention]\nmax_events = 9\nmax_rows = 1\n")), "unknown key"));
}

TEST(ConfigRetention, TheEnvironmentCanSwitchItOnAndOverrideItsKeys) {
  auto on = load(hook(), env_of({{"CHRONOHOOK_RETENTION_MAX_AGE", "7d"}}));
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_TRUE(on->retention.enabled);
  EXPECT_EQ(on->retention.max_age, std::chrono::seconds(7 * 86400));
  EXPECT_EQ(on->env_settings.at("retention.max_age").variable, "CHRONOHOOK_RETENTION_MAX_AGE");

  auto over = load(hook() + "[retention]\nmax_events = 10\n", env_of({{"CHRONOHOOK_RETENTION_MAX_EVENTS", "20"}}));
  ASSERT_TRUE(over.ok()) << over.error().message;
  EXPECT_EQ(over->retention.max_events, 20u);

  EXPECT_TRUE(Has(error_of(load(hook(), env_of({{"CHRONOHOOK_RETENTION_MAX_AEG", "7d"}}))),
                  "did you mean CHRONOHOOK_RETENTION_MAX_AGE?"));
}

}  // namespace
}  // namespace chronohook::config_test

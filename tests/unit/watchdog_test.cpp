// When WATCHDOG=1 stops, and what STATUS= says.
#include "app/watchdog.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace chronohook::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

Liveness all_moving(SteadyClock::time_point now, unsigned threads = 2) {
  return Liveness{now, now - 10ms, std::vector<SteadyClock::time_point>(threads, now - 10ms), now - 10ms};
}

TEST(WatchdogLimits, PingAtHalfTheIntervalAndGiveTheIdleWriterTwoHeartbeats) {
  const WatchdogLimits thirty = WatchdogLimits::for_interval(30s);
  EXPECT_EQ(thirty.ping_every, 15s);
  EXPECT_EQ(thirty.tick_every, 7500ms);
  EXPECT_EQ(thirty.loop_stall, 15s);
  EXPECT_EQ(thirty.writer_stall, 15s);
  // A short interval cannot ask the writer to show itself more often than
  // it does when idle.
  const WatchdogLimits one = WatchdogLimits::for_interval(1s);
  EXPECT_EQ(one.ping_every, 500ms);
  EXPECT_EQ(one.writer_stall, 2 * EventStore::kIdleHeartbeat);
}

TEST(Watchdog, NothingStallsWhenEveryPartMovedRecently) {
  const auto now = SteadyClock::now();
  EXPECT_EQ(stalled_part(all_moving(now), WatchdogLimits::for_interval(2s)), "");
}

TEST(Watchdog, AWriterWithoutProgressPastItsLimitStallsButNotBefore) {
  const auto now = SteadyClock::now();
  const WatchdogLimits limits = WatchdogLimits::for_interval(2s);
  Liveness seen = all_moving(now);
  seen.writer_progress = now - 1900ms;  // an idle writer between heartbeats, or a slow commit
  EXPECT_EQ(stalled_part(seen, limits), "");
  seen.writer_progress = now - 2500ms;
  EXPECT_THAT(stalled_part(seen, limits), HasSubstr("the writer has made no progress for 2.5 s"));
}

TEST(Watchdog, ALoopWhoseTimerStoppedFiringStalls) {
  const auto now = SteadyClock::now();
  Liveness seen = all_moving(now);
  seen.loop_tick = now - 1200ms;
  EXPECT_THAT(stalled_part(seen, WatchdogLimits::for_interval(2s)),
              HasSubstr("the event loop has run no timer for 1.2 s"));
}

TEST(Watchdog, OneIoThreadStuckInAHandlerStallsEvenWhenTheOthersTurn) {
  const auto now = SteadyClock::now();
  Liveness seen = all_moving(now, 3);
  seen.thread_beats[2] = now - 3s;
  EXPECT_THAT(stalled_part(seen, WatchdogLimits::for_interval(2s)), HasSubstr("I/O thread 2 has been in one handler"));
}

TEST(Watchdog, TheStatusLineSaysWhatIsStoredQueuedAndOpen) {
  StatusFigures f{"0.0.0.0:443", 120, 3, 7, 4096, 2, ""};
  EXPECT_EQ(status_line(f),
            "listening on 0.0.0.0:443; 120 hook(s) stored, 3 duplicate(s), queue 7/4096, 2 connection(s)");
  f.stall = "the writer has made no progress for 3.0 s";
  EXPECT_THAT(status_line(f), HasSubstr("2 connection(s); watchdog: the writer has made no progress for 3.0 s"));
}

}  // namespace
}  // namespace chronohook::app

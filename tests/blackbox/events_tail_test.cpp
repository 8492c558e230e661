// `chronohook events tail [--follow]` against the real daemon: the newest
// events, then every hook committed after it started, each exactly once and
// in seq order, across a daemon restart and across a restart of tail itself
// (`--after` the last seq it printed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/events_cli.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// Generous: the machine running the suite may be loaded. Tail itself reads
// within a second even when no notification arrives.
constexpr auto kBound = std::chrono::seconds(20);

void send_hooks(const Daemon& daemon, int n, std::string_view event = "APPOINTMENT_CREATE") {
  for (int i = 0; i < n; ++i) {
    const Response r = daemon.send(signed_hook(kMainSecret, event));
    ASSERT_EQ(r.status, 200) << r.body;
  }
}

std::vector<std::int64_t> stored_seqs(const std::filesystem::path& db) {
  std::vector<std::int64_t> out;
  for (const Row& row : all_events(db)) out.push_back(std::stoll(*row.at("seq")));
  return out;
}

std::vector<std::string> follow_args(const std::filesystem::path& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"events", "tail", "--follow", "--jsonl", "--db", db.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Ends a follow the way an operator does and expects a clean exit.
void stop_follow(BackgroundCommand& tail, int signo = SIGTERM) {
  tail.signal(signo);
  const auto code = tail.wait_for_exit(std::chrono::seconds(10));
  EXPECT_EQ(code, 0) << tail.err();
}

// CPU time (user + system) a process has used, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}

TEST(EventsTail, PrintsTheNewestEventsInSeqOrderAndExits) {
  Daemon daemon;
  send_hooks(daemon, 5);
  const std::vector<std::int64_t> all = stored_seqs(daemon.db_path());
  CommandResult r = run_chronohook({"events", "tail", "-n", "3", "--jsonl", "--db", daemon.db_path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(seqs_of(parse_event_lines(r.out)), ElementsAreArray(all.end() - 3, all.end()));
  r = run_chronohook({"events", "tail", "--jsonl", "--db", daemon.db_path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(seqs_of(parse_event_lines(r.out)), all) << "fewer than the default 10: all of them";
  r = run_chronohook({"events", "tail", "--table", "--event", "PATIENT_*", "--db", daemon.db_path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("SEQ"));
}

TEST(EventsTail, FollowPrintsEveryHookSentAfterItStartedExactlyOnceAndEndsCleanlyOnSigterm) {
  Daemon daemon;
  send_hooks(daemon, 2);
  BackgroundCommand tail(daemon.dir(), follow_args(daemon.db_path()));
  BackgroundCommand patients(daemon.dir(), follow_args(daemon.db_path(), {"--event", "PATIENT_CREATE"}));
  ASSERT_TRUE(tail.wait_for_lines(2, kBound)) << tail.err();
  for (int i = 0; i < 6; ++i) send_hooks(daemon, 1, i % 3 == 0 ? "PATIENT_CREATE" : "APPOINTMENT_CREATE");
  ASSERT_TRUE(tail.wait_for_lines(8, kBound)) << tail.out() << tail.err();
  ASSERT_TRUE(patients.wait_for_lines(2, kBound)) << patients.out() << patients.err();
  // Some time for a repeat to show, were there one.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop_follow(tail);
  patients.signal(SIGINT);
  EXPECT_EQ(patients.wait_for_exit(std::chrono::seconds(10)), 0);

  EXPECT_EQ(seqs_of(parse_event_lines(tail.out())), stored_seqs(daemon.db_path()));
  const std::vector<CliEvent> only = parse_event_lines(patients.out());
  ASSERT_EQ(only.size(), 2u);
  for (const CliEvent& e : only) EXPECT_EQ(e.event, "PATIENT_CREATE");
  EXPECT_EQ(tail.err(), "");
}

TEST(EventsTail, FollowSleepsWhileNothingArrives) {
  Daemon daemon;
  send_hooks(daemon, 1);
  BackgroundCommand tail(daemon.dir(), follow_args(daemon.db_path()));
  ASSERT_TRUE(tail.wait_for_lines(1, kBound)) << tail.err();
  const long before = cpu_ticks(tail.pid());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const long used = cpu_ticks(tail.pid()) - before;
  // A busy loop would burn ~3 s (300 ticks); waking once a second costs
  // next to nothing.
  EXPECT_LT(used, 50) << "clock ticks of CPU in 3 s of idle following";
  send_hooks(daemon, 1);
  EXPECT_TRUE(tail.wait_for_lines(2, kBound)) << "still following after the idle time";
  stop_follow(tail, SIGINT);
}

TEST(EventsTail, FollowContinuesAcrossADaemonRestartWithNoGapAndNoRepeat) {
  TempDir shared;
  const auto db = shared.path() / "events.db";
  Launch launch;
  launch.env = {{"CHRONOHOOK_STORAGE_PATH", db.string()}};
  auto first = std::make_unique<Daemon>(ConfigOptions{}, launch);
  send_hooks(*first, 2);
  BackgroundCommand tail(shared.path(), follow_args(db));
  ASSERT_TRUE(tail.wait_for_lines(2, kBound)) << tail.err();
  send_hooks(*first, 2);
  ASSERT_TRUE(tail.wait_for_lines(4, kBound)) << tail.err();
  EXPECT_EQ(first->stop(), 0);
  first.reset();

  Daemon second(ConfigOptions{}, launch);
  send_hooks(second, 3);
  ASSERT_TRUE(tail.wait_for_lines(7, kBound)) << tail.out() << tail.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop_follow(tail);
  const std::vector<std::int64_t> stored = stored_seqs(db);
  ASSERT_EQ(stored.size(), 7u);
  EXPECT_EQ(seqs_of(parse_event_lines(tail.out())), stored);
}

TEST(EventsTail, ATailRestartedAfterTheLastSeqItPrintedMissesNothingAndRepeatsNothing) {
  Daemon daemon;
  send_hooks(daemon, 3);
  std::int64_t last_printed = 0;
  {
    BackgroundCommand tail(daemon.dir(), follow_args(daemon.db_path()));
    ASSERT_TRUE(tail.wait_for_lines(3, kBound)) << tail.err();
    stop_follow(tail);
    last_printed = parse_event_lines(tail.out()).back().seq;
  }
  send_hooks(daemon, 4);  // while no tail runs
  BackgroundCommand resumed(daemon.dir(), follow_args(daemon.db_path(), {"--after", std::to_string(last_printed)}));
  ASSERT_TRUE(resumed.wait_for_lines(4, kBound)) << resumed.err();
  send_hooks(daemon, 1);
  ASSERT_TRUE(resumed.wait_for_lines(5, kBound)) << resumed.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop_follow(resumed);
  const std::vector<std::int64_t> stored = stored_seqs(daemon.db_path());
  ASSERT_EQ(stored.size(), 8u);
  EXPECT_EQ(seqs_of(parse_event_lines(resumed.out())), std::vector<std::int64_t>(stored.begin() + 3, stored.end()));
}

}  // namespace
}  // namespace chronohook::testing

// The at-least-once promise of the pull API: a consumer that reads through
// `next`, records what it saw and only then acknowledges, and is killed with
// SIGKILL at random points while hooks keep arriving, has in the end seen
// every stored event; de-duplicated by seq, exactly once and in order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "support/admin_api.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

std::vector<std::int64_t> read_seen(const std::filesystem::path& file) {
  std::vector<std::int64_t> seen;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) seen.push_back(std::stoll(line));
  }
  return seen;
}

TEST(AdminConsumer, SeesEveryEventExactlyOnceInOrderAfterDedupThroughRandomKills) {
  Daemon daemon(admin_config(), Launch{});
  const std::uint16_t port = admin_port(daemon);
  const std::filesystem::path seen_file = daemon.dir() / "seen.txt";
  const std::vector<std::string> argv{CHRONOHOOK_ADMIN_CONSUMER, std::to_string(port), "billing",
                                      std::string(kBillingToken), seen_file.string()};
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);

  // Hooks keep arriving the whole time, a few at a time.
  std::atomic<bool> sending{true};
  std::atomic<int> sent{0};
  std::thread sender([&] {
    auto connection = daemon.connect();
    for (int i = 0; i < 400 && sending.load(); ++i) {
      const Response r =
          connection->send(signed_hook(kMainSecret, i % 3 == 0 ? "PATIENT_CREATE" : "APPOINTMENT_CREATE"));
      if (r.status != 200) break;
      sent.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(i % 7));
    }
  });

  constexpr int kKills = 7;
  for (int kill = 0; kill < kKills; ++kill) {
    ChildProcess consumer = ChildProcess::spawn(argv, child_environment({}), daemon.dir() / "consumer.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 400)(random)));
    ASSERT_TRUE(consumer.running()) << "the consumer exited early with " << consumer.exit_code().value_or(-1);
    consumer.signal(SIGKILL);
    consumer.wait_for_exit(std::chrono::seconds(5));
  }
  sending.store(false);
  sender.join();
  ASSERT_GT(sent.load(), 0);

  const std::vector<Row> rows = all_events(daemon.db_path());
  std::vector<std::int64_t> stored;
  for (const Row& row : rows) stored.push_back(std::stoll(row.at("seq").value()));
  ASSERT_FALSE(stored.empty());

  // The last run catches up and stops once its cursor reaches the newest event.
  std::vector<std::string> finish = argv;
  finish.push_back(std::to_string(stored.back()));
  ChildProcess last = ChildProcess::spawn(finish, child_environment({}), daemon.dir() / "consumer.log");
  EXPECT_EQ(last.wait_for_exit(std::chrono::seconds(60)), 0);

  const std::vector<std::int64_t> seen = read_seen(seen_file);
  std::vector<std::int64_t> first_sightings;
  std::set<std::int64_t> known;
  for (std::int64_t seq : seen) {
    if (known.insert(seq).second) first_sightings.push_back(seq);
  }
  EXPECT_EQ(first_sightings, stored) << seen.size() << " lines seen for " << stored.size() << " events";
  const Response cursor =
      send_once(port, admin_client_options(daemon, false), admin_request("GET", "/v1/consumers/billing/cursor"));
  EXPECT_EQ(json_int_field(cursor.body, "seq"), stored.back());
  RecordProperty("events", static_cast<int>(stored.size()));
  RecordProperty("seen_with_repeats", static_cast<int>(seen.size()));
}

}  // namespace
}  // namespace chronohook::testing

// Connections and the process around the hooks: keep-alive, concurrent
// senders, a clean SIGTERM under load that loses nothing already answered
// 200 and ends within shutdown_timeout_ms, and a database nobody else can
// read. Reloading (SIGHUP) has reload_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"
#include "support/reload.hpp"

namespace chronohook::testing {
namespace {

TEST(Connections, SeveralHooksShareOneKeptAliveConnection) {
  Daemon daemon;
  auto connection = daemon.connect();
  std::int64_t last_seq = 0;
  for (int i = 0; i < 6; ++i) {
    const Response r = connection->send(signed_hook(kMainSecret, "APPOINTMENT_CREATE"));
    ASSERT_EQ(r.status, 200) << "hook " << i << ": " << r.body;
    EXPECT_TRUE(r.keep_alive) << "hook " << i;
    const auto seq = json_int_field(r.body, "seq");
    ASSERT_TRUE(seq.has_value()) << r.body;
    EXPECT_GT(*seq, last_seq);
    last_seq = *seq;
  }
  EXPECT_EQ(connection->send(verification_get("msg=k")).status, 200);
  EXPECT_EQ(connection->send(signed_hook(kMainSecret)).status, 200);
  // A refusal, even one decided after reading the whole request, ends the
  // connection: a client without the secret cannot keep a slot by asking.
  Request bad_json = signed_hook(kMainSecret);
  bad_json.body = "{not json";
  const Response refused = connection->send(bad_json);
  EXPECT_EQ(refused.status, 400);
  EXPECT_FALSE(refused.keep_alive);
  EXPECT_TRUE(connection->closed_by_peer());
  EXPECT_EQ(count_events(daemon.db_path()), 7);
}

TEST(Connections, PipelinedHooksAreAllAnsweredInOrder) {
  Daemon daemon;
  auto connection = daemon.connect();
  std::vector<Request> hooks;
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    hooks.push_back(signed_hook(kMainSecret, "TASK_CREATE"));
    bytes += hooks.back().serialize();
  }
  connection->write(bytes);  // all four before reading any answer
  std::int64_t last_seq = 0;
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    const Response r = connection->read_response();
    ASSERT_EQ(r.status, 200) << "hook " << i << ": " << r.body;
    const auto seq = json_int_field(r.body, "seq");
    ASSERT_TRUE(seq.has_value());
    EXPECT_GT(*seq, last_seq);
    last_seq = *seq;
  }
  EXPECT_EQ(count_events(daemon.db_path()), 4);
}

TEST(Connections, ConcurrentSendersAreAllStored) {
  Daemon daemon;
  constexpr int kThreads = 8;
  constexpr int kHooksEach = 25;
  std::atomic<int> ok{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&] {
      try {
        auto connection = daemon.connect();
        for (int i = 0; i < kHooksEach; ++i) {
          const int status = connection->send(signed_hook(kMainSecret, "TASK_MODIFY")).status;
          (status == 200 ? ok : failures).fetch_add(1);
        }
      } catch (const std::exception&) {
        failures.fetch_add(1);
      }
    });
  }
  for (std::thread& t : senders) t.join();
  EXPECT_EQ(ok.load(), kThreads * kHooksEach);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count_events(daemon.db_path()), ok.load());
  EXPECT_EQ(ReadOnlyDb(daemon.db_path()).count("SELECT COUNT(DISTINCT seq) FROM events"), ok.load());
}

TEST(Connections, AtTheConnectionCapNewConnectionsWaitWhileEverySlotIsMidRequest) {
  ConfigOptions options;
  options.extra_server_toml = "max_connections = 1\n";
  Daemon daemon(options);
  // The only slot holds a hook whose body is still coming: never evicted.
  auto first = daemon.connect();
  const Request first_hook = signed_hook(kMainSecret);
  first->write(first_hook.serialize_head(first_hook.body.size()) + first_hook.body.substr(0, 10));

  // The second connection sits in the kernel's backlog: its TLS handshake
  // cannot complete while the first connection holds the only slot.
  std::atomic<bool> done{false};
  std::atomic<int> second_status{0};
  std::thread second([&] {
    try {
      auto connection = daemon.connect();
      second_status = connection->send(signed_hook(kMainSecret)).status;
    } catch (const std::exception&) {
      second_status = -1;
    }
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const bool served_over_the_cap = done.load();
  first->write(first_hook.body.substr(10));
  EXPECT_EQ(first->read_response().status, 200);
  // Now idle in keep-alive, the first connection makes room for the second.
  second.join();
  EXPECT_FALSE(served_over_the_cap) << "a second connection was served with max_connections = 1";
  EXPECT_EQ(second_status.load(), 200) << "the waiting connection was not served once the slot was free";
  EXPECT_EQ(count_events(daemon.db_path()), 2);
}

TEST(Lifecycle, SigtermUnderLoadExitsZeroWithinTheShutdownTimeoutAndEveryHookAnswered200IsInTheDatabase) {
  constexpr auto kShutdownTimeout = std::chrono::milliseconds(3000);
  ConfigOptions options;
  options.extra_server_toml = "shutdown_timeout_ms = " + std::to_string(kShutdownTimeout.count()) + "\n";
  Daemon daemon(options);
  std::mutex mutex;
  std::vector<std::string> answered_200;
  std::atomic<int> answers{0};
  std::atomic<bool> stopped{false};
  std::vector<std::thread> senders;
  // As fast as they can until the daemon goes away: half on kept-alive
  // connections (reconnecting when one is closed), half on a new
  // connection per hook.
  for (int t = 0; t < 6; ++t) {
    const bool keep_alive = t % 2 == 0;
    senders.emplace_back([&, keep_alive] {
      try {
        std::unique_ptr<Connection> connection;
        for (int i = 0; i < 5000 && !stopped.load(); ++i) {
          if (!connection) connection = daemon.connect();
          const Request hook = signed_hook(kMainSecret, "APPOINTMENT_MODIFY");
          const Response r = connection->send(hook);
          answers.fetch_add(1);
          if (r.status == 200) {
            std::lock_guard lock(mutex);
            answered_200.push_back(delivery_of(hook));
          }
          if (!keep_alive || !r.keep_alive) connection.reset();
        }
      } catch (const std::exception&) {
        // Refused or cut once the daemon drains: the sender stops.
      }
    });
  }
  // Signal mid-stream, with hooks in flight.
  for (int i = 0; i < 500 && answers.load() < 60; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto signalled = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  const auto code = daemon.wait_for_exit(kShutdownTimeout + std::chrono::seconds(5));
  const auto took = std::chrono::steady_clock::now() - signalled;
  stopped = true;
  for (std::thread& t : senders) t.join();
  ASSERT_TRUE(code.has_value()) << "the daemon did not exit within shutdown_timeout_ms + 5 s of SIGTERM";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(took, kShutdownTimeout + std::chrono::milliseconds(1000))
      << "exit took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";

  ASSERT_GE(answered_200.size(), 60u);
  const std::set<std::string> answered(answered_200.begin(), answered_200.end());
  std::set<std::string> stored;
  for (const Row& row : all_events(daemon.db_path())) stored.insert(row.at("delivery_id").value_or(""));
  for (const std::string& delivery : answered) EXPECT_TRUE(stored.contains(delivery)) << "lost: " << delivery;
}

// "200 only after commit": a hook answered 200 survives the process being
// killed outright the moment the answer arrives.
TEST(Lifecycle, EveryHookAnswered200SurvivesSigkill) {
  Daemon daemon;
  std::mutex mutex;
  std::vector<std::string> answered_200;
  std::atomic<int> answers{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&] {
      try {
        auto connection = daemon.connect();
        for (int i = 0; i < 500; ++i) {
          const Request hook = signed_hook(kMainSecret, "PATIENT_MODIFY");
          const Response r = connection->send(hook);
          answers.fetch_add(1);
          if (r.status == 200) {
            std::lock_guard lock(mutex);
            answered_200.push_back(delivery_of(hook));
          }
        }
      } catch (const std::exception&) {
        // The daemon was killed under this sender: expected.
      }
    });
  }
  for (int i = 0; i < 500 && answers.load() < 60; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // Any 200 a sender reads, even after this line, was written before the kill.
  daemon.signal(SIGKILL);
  const bool exited = daemon.wait_for_exit(std::chrono::seconds(5)).has_value();
  for (std::thread& t : senders) t.join();
  ASSERT_TRUE(exited);

  ASSERT_FALSE(answered_200.empty());
  std::set<std::string> stored;
  for (const Row& row : all_events(daemon.db_path())) stored.insert(row.at("delivery_id").value_or(""));
  for (const std::string& delivery : answered_200) EXPECT_TRUE(stored.contains(delivery)) << "lost: " << delivery;
}

TEST(Lifecycle, SigtermWithAnIdleKeptAliveConnectionStillExitsPromptly) {
  Daemon daemon;
  auto idle = daemon.connect();
  ASSERT_EQ(idle->send(signed_hook(kMainSecret)).status, 200);
  daemon.signal(SIGTERM);
  // Well under shutdown_timeout (10 s): an idle connection is closed, not waited for.
  const auto code = daemon.wait_for_exit(std::chrono::seconds(5));
  ASSERT_TRUE(code.has_value()) << "an idle keep-alive connection held up the exit";
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(idle->closed_by_peer());
}

TEST(Lifecycle, SigtermIsNotHeldUpByAConnectionThatNeverStartsTls) {
  Daemon daemon;
  // A TCP connection that never sends a ClientHello is as idle as a
  // connection gets; drain closes idle connections at once.
  ClientOptions raw_tcp;
  raw_tcp.tls = false;
  Connection silent(daemon.port(), raw_tcp);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // accepted, handshake pending
  const auto start = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  const auto code = daemon.wait_for_exit(std::chrono::seconds(15));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_LT(took, std::chrono::seconds(3))
      << "exit took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms: the drain waited for a TLS handshake that was never going to come";
}

TEST(Lifecycle, SighupWithAnUnchangedConfigurationReloadsNothingAndKeepsServing) {
  Daemon daemon;
  EXPECT_THAT(reload(daemon), ::testing::HasSubstr("reload finished: nothing changed"));
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
  EXPECT_TRUE(daemon.running());
  EXPECT_EQ(daemon.stop(), 0);
}

TEST(Lifecycle, DatabaseFilesAreReadableByTheOwnerOnly) {
  Daemon daemon;
  ASSERT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
  int checked = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::filesystem::path file = daemon.db_path().string() + suffix;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) continue;
    ++checked;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file << " has mode " << std::oct << (st.st_mode & 0777);
  }
  EXPECT_GE(checked, 1);
  ASSERT_EQ(daemon.stop(), 0);
  struct stat st {};
  ASSERT_EQ(::stat(daemon.db_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace chronohook::testing

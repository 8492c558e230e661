// A stderr nobody reads (a hung pipe reader, a stopped journald) must not stop
// the daemon: requests are never held up by logging; lines that cannot be
// written are dropped and counted, and the count is logged once stderr drains.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.hpp"
#include "support/hooks.hpp"
#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The read end of the daemon's stderr, read only when the test says so.
class StderrPipe {
 public:
  StderrPipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    // One page: the pipe fills after a few lines instead of 64 KiB of them.
    ::fcntl(fds_[1], F_SETPIPE_SZ, 4096);
  }
  ~StderrPipe() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  StderrPipe(const StderrPipe&) = delete;
  StderrPipe& operator=(const StderrPipe&) = delete;

  int write_end() const { return fds_[1]; }
  void close_write_end() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }

  // Reads until `needle` has been seen or `timeout` passes; true when seen.
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (text_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return false;
      pollfd pfd{fds_[0], POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      const ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n <= 0) return text_.find(needle) != std::string::npos;
      text_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  const std::string& text() const { return text_; }

 private:
  int fds_[2] = {-1, -1};
  std::string text_;
};

// A daemon whose stderr is `err`'s pipe; returns once it listens.
struct PipedDaemon {
  ChildProcess process;
  std::uint16_t port = 0;
  ClientOptions client;
};

PipedDaemon start_piped(const TempDir& dir, const ConfigOptions& options, StderrPipe& err) {
  write_self_signed_cert(dir.path());
  const auto config = dir.write_file("chronohook.toml", make_config(options));
  PipedDaemon d;
  d.process = ChildProcess::spawn_with_fds({chronohook_binary().string(), "serve", "--config", config.string()},
                                           child_environment({}), err.write_end(), err.write_end());
  err.close_write_end();
  constexpr std::string_view kListening = "listening on 127.0.0.1:";
  if (!err.read_until("(https", std::chrono::seconds(20))) throw std::runtime_error("not listening:\n" + err.text());
  const std::size_t at = err.text().find(kListening);
  if (at == std::string::npos) throw std::runtime_error("no listening line:\n" + err.text());
  d.port = static_cast<std::uint16_t>(std::stoi(err.text().substr(at + kListening.size())));
  d.client.trust_cert = dir.path() / "cert.pem";
  d.client.timeout = std::chrono::seconds(5);  // a request held up by logging fails here
  return d;
}

TEST(Logging, AStderrNobodyReadsNeverHoldsUpRequestsAndTheDropsAreReportedLater) {
  TempDir dir;
  ConfigOptions options;
  options.log_level = "debug";  // an access line per request fills the pipe fast
  StderrPipe err;
  PipedDaemon daemon = start_piped(dir, options, err);
  const std::uint16_t port = daemon.port;
  const ClientOptions client = daemon.client;

  // From now on nobody reads stderr. The daemon's log queue holds 1024 lines
  // and the pipe a page: 1600 access lines overflow both.
  constexpr int kThreads = 4;
  constexpr int kHooksEach = 400;
  std::atomic<int> ok{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&] {
      try {
        Connection connection(port, client);
        for (int i = 0; i < kHooksEach; ++i) {
          (connection.send(signed_hook(kMainSecret, "TASK_MODIFY")).status == 200 ? ok : failures).fetch_add(1);
        }
      } catch (const std::exception&) {
        failures.fetch_add(1);
      }
    });
  }
  for (std::thread& t : senders) t.join();
  EXPECT_EQ(failures.load(), 0) << "requests failed or timed out while stderr was not read";
  EXPECT_EQ(ok.load(), kThreads * kHooksEach);

  // stderr drains: the next line written says how many were lost.
  std::thread reader(
      [&] { err.read_until("were dropped because stderr could not keep up", std::chrono::seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(send_once(port, client, signed_hook(kMainSecret)).status, 200);
  reader.join();
  EXPECT_NE(err.text().find("were dropped because stderr could not keep up"), std::string::npos)
      << "no drop report once stderr was read again; log tail:\n"
      << err.text().substr(err.text().size() > 2000 ? err.text().size() - 2000 : 0);

  daemon.process.signal(SIGTERM);
  std::thread drain([&] { err.read_until("\x01never", std::chrono::seconds(15)); });
  const auto code = daemon.process.wait_for_exit(std::chrono::seconds(15));
  drain.join();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST(Logging, SigtermExitsPromptlyWhileStderrIsNotRead) {
  TempDir dir;
  StderrPipe err;
  PipedDaemon daemon = start_piped(dir, ConfigOptions{}, err);
  const std::uint16_t port = daemon.port;
  const ClientOptions client = daemon.client;
  {
    Connection connection(port, client);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(connection.send(signed_hook(kMainSecret)).status, 200);
  }
  // stderr is full and unread: the exit must not wait on it.
  const auto start = SteadyClock::now();
  daemon.process.signal(SIGTERM);
  const auto code = daemon.process.wait_for_exit(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value()) << "the daemon hung on a stderr nobody reads";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace chronohook::testing

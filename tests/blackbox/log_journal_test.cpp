// Under systemd (JOURNAL_STREAM names the file stderr is open on) the daemon
// writes entries to the journal's native socket: a priority per level, the
// message without a timestamp of its own, nothing on stderr. journald does
// not run here, so the test stands in for it: a datagram socket it binds,
// mounted at /run/systemd/journal in a private mount namespace that only the
// daemon sees (root or CAP_SYS_ADMIN; the tests that need it are skipped
// otherwise, saying so). What the socket receives is parsed as systemd's
// native protocol documents it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/daemon.hpp"
#include "support/hooks.hpp"
#include "support/journal_socket.hpp"

namespace chronohook::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "listening on 127.0.0.1:43117 (http, 2 I/O threads)" -> 43117, or 0.
std::uint16_t port_in(const std::string& text) {
  static const std::regex kListening(R"(listening on 127\.0\.0\.1:(\d+) )");
  std::smatch m;
  return std::regex_search(text, m, kListening) ? static_cast<std::uint16_t>(std::stoi(m[1])) : 0;
}

bool has_listening(const JournalEntry& e) {
  return port_in(e.field("MESSAGE")) != 0;
}

// A daemon whose stderr is dir/stderr.log, with JOURNAL_STREAM set to that
// file's "device:inode" (the inode moved by `inode_delta` to name another
// file), optionally in a private /run holding dir/journal.
class JournalDaemon {
 public:
  JournalDaemon(const TempDir& dir, bool private_run, long long inode_delta = 0) : dir_(dir) {
    ConfigOptions options;
    options.tls = false;  // its start-up warning is a warning-priority entry
    options.log_level = "debug";
    const auto config = dir.write_file("chronohook.toml", make_config(options));
    std::filesystem::create_directories(dir.path() / "journal");
    const int err = ::open(stderr_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (err < 0) throw std::runtime_error("cannot open stderr.log");
    struct stat st {};
    ::fstat(err, &st);
    const std::string journal_stream =
        std::to_string(st.st_dev) + ":" + std::to_string(static_cast<long long>(st.st_ino) + inode_delta);
    std::vector<std::string> command{chronohook_binary().string(), "serve", "--config", config.string()};
    if (private_run) command = with_journal_dir(dir.path() / "journal", command);
    process_ = ChildProcess::spawn_with_fds(command, child_environment({{"JOURNAL_STREAM", journal_stream}}), err, err);
    ::close(err);
  }

  std::filesystem::path stderr_path() const { return dir_.path() / "stderr.log"; }
  std::string stderr_text() const { return read_text(stderr_path()); }
  ChildProcess& process() { return process_; }

  // The port from a "listening on" line on stderr (the text paths).
  std::uint16_t port_from_stderr() {
    const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
    while (SteadyClock::now() < deadline && process_.running()) {
      if (const std::uint16_t port = port_in(stderr_text()); port != 0) return port;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("no listening line on stderr:\n" + stderr_text());
  }

  int stop() {
    process_.signal(SIGTERM);
    const auto code = process_.wait_for_exit(std::chrono::seconds(15));
    return code ? *code : process_.kill_and_reap();
  }

 private:
  const TempDir& dir_;
  ChildProcess process_;
};

ClientOptions plain_client() {
  ClientOptions client;
  client.tls = false;
  client.timeout = std::chrono::seconds(5);  // a request held up by logging fails here
  return client;
}

const JournalEntry* find_entry(const std::vector<JournalEntry>& entries, std::string_view text) {
  for (const JournalEntry& e : entries) {
    if (e.field("MESSAGE").find(text) != std::string::npos) return &e;
  }
  return nullptr;
}

TEST(JournalLog, UnderSystemdEntriesGoToTheJournalWithTheirPriorityAndNothingToStderr) {
  if (auto why = private_run_unavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "journal");
  JournalSocket journal(dir.path() / "journal" / "socket");
  JournalDaemon daemon(dir, /*private_run=*/true);
  ASSERT_TRUE(journal.receive_until(has_listening, std::chrono::seconds(20)))
      << "no listening entry in the journal; stderr:\n"
      << daemon.stderr_text();
  std::uint16_t port = 0;
  for (const JournalEntry& e : journal.entries()) port = std::max(port, port_in(e.field("MESSAGE")));

  const std::string marker = "ZZMARKER" + random_hex(8);
  EXPECT_EQ(send_once(port, plain_client(),
                      signed_hook(kMainSecret, "PATIENT_CREATE", synthetic_payload("PATIENT_CREATE", 1, marker)))
                .status,
            200);
  EXPECT_EQ(send_once(port, plain_client(), verification_get("msg=" + marker)).status, 200);
  EXPECT_EQ(send_once(port, plain_client(), signed_hook(marker + "-as-signature")).status, 401);
  ASSERT_EQ(daemon.stop(), 0);
  journal.drain(std::chrono::milliseconds(500));

  const auto& entries = journal.entries();
  EXPECT_EQ(journal.malformed(), 0);
  ASSERT_GE(entries.size(), 5u);
  static const std::regex kTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d)");
  int access = 0;
  for (const JournalEntry& e : entries) {
    EXPECT_EQ(e.field("SYSLOG_IDENTIFIER"), "chronohook") << e.raw;
    EXPECT_TRUE(std::regex_match(e.field("PRIORITY"), std::regex("[0-7]"))) << e.raw;
    // The journal keeps the time; the message carries neither it nor the level.
    EXPECT_FALSE(std::regex_search(e.field("MESSAGE"), kTimestamp)) << e.raw;
    EXPECT_EQ(e.field("MESSAGE").rfind("info ", 0), std::string::npos) << e.raw;
    EXPECT_EQ(e.raw.find(marker), std::string::npos) << "a payload or query byte reached the journal";
    EXPECT_EQ(e.raw.find(std::string(kMainSecret)), std::string::npos) << "the secret reached the journal";
    if (e.field("MESSAGE").starts_with("access method=")) {
      ++access;
      EXPECT_EQ(e.field("PRIORITY"), "6") << e.raw;
    }
  }
  EXPECT_EQ(access, 3);
  const JournalEntry* listening = find_entry(entries, "listening on 127.0.0.1:");
  ASSERT_NE(listening, nullptr);
  EXPECT_EQ(listening->field("PRIORITY"), "6");  // LOG_INFO
  const JournalEntry* plain_http = find_entry(entries, "plain HTTP: [server] tls = false");
  ASSERT_NE(plain_http, nullptr);
  EXPECT_EQ(plain_http->field("PRIORITY"), "4");  // LOG_WARNING
  EXPECT_NE(find_entry(entries, "drained"), nullptr) << "the entries logged while stopping were lost";
  EXPECT_EQ(daemon.stderr_text(), "") << "text lines went to stderr as well";
}

TEST(JournalLog, AJournalThatStopsReadingNeverHoldsUpRequestsAndTheLossIsReportedLater) {
  if (auto why = private_run_unavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "journal");
  JournalSocket journal(dir.path() / "journal" / "socket");
  JournalDaemon daemon(dir, /*private_run=*/true);
  ASSERT_TRUE(journal.receive_until(has_listening, std::chrono::seconds(20))) << daemon.stderr_text();
  std::uint16_t port = 0;
  for (const JournalEntry& e : journal.entries()) port = std::max(port, port_in(e.field("MESSAGE")));

  // From now on nobody reads the socket: its queue holds a few datagrams
  // (net.unix.max_dgram_qlen) and the daemon's log queue 1024 lines, so
  // 1600 access lines overflow both.
  constexpr int kThreads = 4;
  constexpr int kHooksEach = 400;
  std::atomic<int> ok{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&] {
      try {
        Connection connection(port, plain_client());
        for (int i = 0; i < kHooksEach; ++i) {
          (connection.send(signed_hook(kMainSecret, "TASK_MODIFY")).status == 200 ? ok : failures).fetch_add(1);
        }
      } catch (const std::exception&) {
        failures.fetch_add(1);
      }
    });
  }
  for (std::thread& t : senders) t.join();
  EXPECT_EQ(failures.load(), 0) << "requests failed or timed out while the journal was not read";
  EXPECT_EQ(ok.load(), kThreads * kHooksEach);

  // The journal reads again: the next entry that gets through says how many were lost.
  const auto is_report = [](const JournalEntry& e) {
    return e.field("MESSAGE").find("were dropped because the journal could not keep up") != std::string::npos;
  };
  std::atomic<bool> reported{false};
  std::thread reader([&] { reported = journal.receive_until(is_report, std::chrono::seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(send_once(port, plain_client(), signed_hook(kMainSecret)).status, 200);
  reader.join();
  ASSERT_TRUE(reported.load()) << "no drop report once the journal was read again";
  const JournalEntry& report = journal.entries().back();
  EXPECT_EQ(report.field("PRIORITY"), "4");
  EXPECT_GT(std::stoll(report.field("MESSAGE")), 0) << report.raw;

  std::thread drain([&] { journal.drain(std::chrono::seconds(2)); });
  EXPECT_EQ(daemon.stop(), 0);
  drain.join();
  EXPECT_EQ(daemon.stderr_text(), "");
}

TEST(JournalLog, AJournalStreamNamingAnotherFileLeavesTextLinesOnStderr) {
  // With a journal socket the daemon could reach, when this machine allows
  // one: a daemon that ignored the device:inode check would write there.
  const bool private_run = !private_run_unavailable().has_value();
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "journal");
  JournalSocket journal(dir.path() / "journal" / "socket");
  JournalDaemon daemon(dir, private_run, /*inode_delta=*/1);
  const std::uint16_t port = daemon.port_from_stderr();
  EXPECT_EQ(send_once(port, plain_client(), signed_hook(kMainSecret)).status, 200);
  ASSERT_EQ(daemon.stop(), 0);
  const std::string text = daemon.stderr_text();
  static const std::regex kTextLine(R"((^|\n)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info listening on 127\.0\.0\.1:)");
  EXPECT_TRUE(std::regex_search(text, kTextLine)) << text;
  EXPECT_NE(text.find(" info access method=POST"), std::string::npos) << text;
  journal.drain(std::chrono::milliseconds(200));
  EXPECT_TRUE(journal.entries().empty()) << journal.entries().front().raw;
}

TEST(JournalLog, WithoutTheJournalSocketStderrLinesCarryThePriorityAndNoTimestamp) {
  // systemd reads "<N>" at the start of a stream line as its priority.
  const bool private_run = !private_run_unavailable().has_value();
  if (!private_run && std::filesystem::exists("/run/systemd/journal/socket")) {
    GTEST_SKIP() << "journald runs here and no private mount namespace is available to hide its socket";
  }
  TempDir dir;
  JournalDaemon daemon(dir, private_run);  // an empty /run/systemd/journal
  const std::uint16_t port = daemon.port_from_stderr();
  EXPECT_EQ(send_once(port, plain_client(), signed_hook(kMainSecret)).status, 200);
  ASSERT_EQ(daemon.stop(), 0);
  const std::string text = daemon.stderr_text();
  EXPECT_NE(text.find("\n<6>listening on 127.0.0.1:"), std::string::npos) << text;
  EXPECT_NE(text.find("<4>plain HTTP: [server] tls = false"), std::string::npos) << text;
  EXPECT_NE(text.find("<6>access method=POST"), std::string::npos) << text;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(std::regex_match(line, std::regex("<[0-7]>[^<].*"))) << line;
  }
}

}  // namespace
}  // namespace chronohook::testing

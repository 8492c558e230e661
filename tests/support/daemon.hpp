// The daemon under test: a real `chronohook serve` process on loopback, in a
// private temporary directory holding its certificate, config, database and
// log. RAII: the process is stopped and reaped and the directory removed
// whatever the test does.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace chronohook::testing {

// Synthetic secrets, long enough for the daemon's 16-byte minimum.
inline constexpr std::string_view kMainSecret = "bb-main-secret-7f3a9c21d4e8b605";
inline constexpr std::string_view kOtherSecret = "bb-other-secret-0c5d2e9f8a7b6143";

struct WebhookSpec {
  std::string name = "main";
  std::string path = "/webhook";
  std::string secret = std::string(kMainSecret);
  std::vector<std::string> previous_secrets;
  bool verify = true;
  // When set, written instead of `secret = "..."` (e.g. `secret_file = "x"`).
  std::string secret_toml;
};

struct ConfigOptions {
  bool tls = true;
  unsigned threads = 2;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_msg_bytes = 1024;
  // High by default so only the rate-limit test ever meets the limit.
  unsigned verify_rate_per_minute = 100'000;
  unsigned verify_rate_per_minute_per_source = 100'000;
  // Short, so a locked database fails fast.
  unsigned busy_timeout_ms = 100;
  std::string log_level = "debug";
  bool access_log = true;
  std::string extra_server_toml;   // more [server] lines
  std::string extra_storage_toml;  // more [storage] lines
  std::vector<WebhookSpec> webhooks{WebhookSpec{}};
};

// The usual test config as TOML. Paths are relative (cert.pem, key.pem,
// events.db), so they resolve against the directory the config is written to.
std::string make_config(const ConfigOptions& options = {});

// A private temporary directory (mode 0700) under temp_directory_path(),
// removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/name with `mode`; returns the full path.
  std::filesystem::path write_file(std::string_view name, std::string_view content, unsigned mode = 0600) const;

 private:
  std::filesystem::path path_;
};

// The daemon under test: this build's, or $BLACKBOX_DAEMON_BINARY when set
// (to run the suite against an older build and see a new test fail there).
std::filesystem::path chronohook_binary();

// `chronohook <args...>` to completion (default bound 20 s), output captured.
CommandResult run_chronohook(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(20));

struct Launch {
  bool tls = true;                           // how clients should connect
  std::map<std::string, std::string> files;  // written into the directory (0600) first
  std::map<std::string, std::string> env;    // extra environment for the daemon
  // Soft and hard RLIMIT_NOFILE of the daemon, when set.
  std::optional<std::uint64_t> nofile_limit;
  std::chrono::milliseconds start_timeout{20'000};
  // Descriptors the daemon gets as 3, 4, ... (socket activation).
  std::vector<int> pass_fds;
  // Variables set to the daemon's own pid, as systemd sets LISTEN_PID and
  // WATCHDOG_PID (through /bin/sh: `export LISTEN_PID=$$; exec ...`).
  std::vector<std::string> own_pid_variables;
};

class Daemon {
 public:
  // Writes cert.pem/key.pem and the usual config, starts the daemon, and
  // waits for "listening on ...". Throws std::runtime_error (with the log
  // tail) when it exits or does not listen in time.
  explicit Daemon(const ConfigOptions& options = {});
  Daemon(const ConfigOptions& options, const Launch& launch);  // launch.tls follows options.tls
  // The same with a config body of the caller's own.
  Daemon(std::string config_toml, const Launch& launch);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path db_path() const { return dir() / "events.db"; }
  std::filesystem::path config_path() const { return dir() / "chronohook.toml"; }
  std::filesystem::path log_path() const { return dir() / "daemon.log"; }
  std::string log_text() const;
  std::string log_tail(std::size_t lines = 40) const;

  // Connecting the way drchrono would: TLS verified against the test
  // certificate (or plain TCP in tls = false mode). `source` is the loopback
  // address the client connects from ("127.0.0.2"; empty: the kernel's pick).
  ClientOptions client_options(std::string_view source = {}) const;
  std::unique_ptr<Connection> connect(std::string_view source = {}) const;
  Response send(const Request& request) const;  // on a fresh connection

  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  void signal(int signo) { process_.signal(signo); }
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) { return process_.wait_for_exit(timeout); }

  // SIGTERM, then up to 15 s for a drained exit, then SIGKILL. Returns the
  // exit code (128 + signal when killed). Idempotent.
  int stop();

 private:
  void wait_until_listening(std::chrono::milliseconds timeout);

  TempDir dir_;
  bool tls_ = true;
  std::uint16_t port_ = 0;
  ChildProcess process_;
};

}  // namespace chronohook::testing

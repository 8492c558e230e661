#include "support/daemon.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

// TOML basic strings: the test values are ASCII, but escape what TOML requires anyway.
std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "listening on 127.0.0.1:43117 (https, 2 I/O threads)" -> 43117.
std::optional<std::uint16_t> listening_port(const std::string& log) {
  const std::string_view marker = "listening on ";
  const std::size_t at = log.find(marker);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t end = log.find(' ', at + marker.size());
  if (end == std::string::npos) return std::nullopt;  // the line is still being written
  const std::string address = log.substr(at + marker.size(), end - at - marker.size());
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string digits = address.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const unsigned long port = std::stoul(digits);
  if (port == 0 || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

}  // namespace

std::string make_config(const ConfigOptions& o) {
  std::ostringstream t;
  t << "[server]\n"
    << "listen = \"127.0.0.1:0\"\n"
    << "tls = " << (o.tls ? "true" : "false") << "\n";
  if (o.tls) t << "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n";
  t << "threads = " << o.threads << "\n"
    << "max_body_bytes = " << o.max_body_bytes << "\n"
    << "max_msg_bytes = " << o.max_msg_bytes << "\n"
    << "verify_rate_per_minute = " << o.verify_rate_per_minute << "\n"
    << "verify_rate_per_minute_per_source = " << o.verify_rate_per_minute_per_source << "\n"
    << o.extra_server_toml << "\n"
    << "[storage]\n"
    << "path = \"events.db\"\n"
    << "busy_timeout_ms = " << o.busy_timeout_ms << "\n"
    << o.extra_storage_toml << "\n"
    << "[log]\n"
    << "level = " << toml_string(o.log_level) << "\n"
    << "access_log = " << (o.access_log ? "true" : "false") << "\n";
  for (const WebhookSpec& w : o.webhooks) {
    t << "\n[[webhook]]\n"
      << "name = " << toml_string(w.name) << "\n"
      << "path = " << toml_string(w.path) << "\n";
    if (!w.secret_toml.empty()) {
      t << w.secret_toml << "\n";
    } else {
      t << "secret = " << toml_string(w.secret) << "\n";
    }
    if (!w.previous_secrets.empty()) {
      t << "previous_secrets = [";
      for (std::size_t i = 0; i < w.previous_secrets.size(); ++i) {
        t << (i == 0 ? "" : ", ") << toml_string(w.previous_secrets[i]);
      }
      t << "]\n";
    }
    t << "verify = " << (w.verify ? "true" : "false") << "\n";
  }
  return t.str();
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "chronohook-bb-XXXXXX").string();
  // mkdtemp creates the directory 0700: the config in it holds secrets.
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("TempDir: mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  path_ = pattern;
  ::chmod(path_.c_str(), 0700);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write_file(std::string_view name, std::string_view content, unsigned mode) const {
  const std::filesystem::path file = path_ / name;
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) throw std::runtime_error("TempDir: cannot create " + file.string());
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("TempDir: cannot write " + file.string());
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  ::chmod(file.c_str(), static_cast<mode_t>(mode));  // the umask must not loosen or tighten it
  return file;
}

std::filesystem::path chronohook_binary() {
  // Another build of the daemon, to show that a new test fails on old code.
  if (const char* other = std::getenv("BLACKBOX_DAEMON_BINARY"); other != nullptr && *other != '\0') return other;
  return CHRONOHOOK_BINARY;
}

CommandResult run_chronohook(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                             std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{chronohook_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env, timeout);
}

namespace {

Launch launch_for(const ConfigOptions& options) {
  Launch launch;
  launch.tls = options.tls;
  return launch;
}

}  // namespace

Daemon::Daemon(const ConfigOptions& options) : Daemon(make_config(options), launch_for(options)) {}

Daemon::Daemon(const ConfigOptions& options, const Launch& launch)
    : Daemon(make_config(options), [&] {
        Launch l = launch;
        l.tls = options.tls;
        return l;
      }()) {}

Daemon::Daemon(std::string config_toml, const Launch& launch) : tls_(launch.tls) {
  write_self_signed_cert(dir());
  for (const auto& [name, content] : launch.files) dir_.write_file(name, content);
  dir_.write_file("chronohook.toml", config_toml);
  std::vector<std::string> argv{chronohook_binary().string(), "serve", "--config", config_path().string()};
  if (!launch.own_pid_variables.empty()) {
    // The shell's pid is the daemon's once it execs.
    std::string script = "export";
    for (const std::string& name : launch.own_pid_variables) script += " " + name + "=$$";
    argv.insert(argv.begin(), {"/bin/sh", "-c", script + "; exec \"$0\" \"$@\""});
  }
  process_ = ChildProcess::spawn(argv, child_environment(launch.env), log_path(), launch.nofile_limit, launch.pass_fds);
  wait_until_listening(launch.start_timeout);
}

void Daemon::wait_until_listening(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (auto port = listening_port(log_text())) {
      port_ = *port;
      return;
    }
    if (!process_.running()) {
      throw std::runtime_error("the daemon exited with code " + std::to_string(process_.exit_code().value_or(-1)) +
                               " before listening; log:\n" + log_tail());
    }
    if (SteadyClock::now() >= deadline) {
      process_.kill_and_reap();
      throw std::runtime_error("the daemon did not log \"listening on\" within " + std::to_string(timeout.count()) +
                               " ms; log:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Daemon::~Daemon() {
  stop();
  // A failing test is easier to read with what the daemon said.
  if (::testing::Test::HasFailure()) std::cerr << "---- daemon log tail (" << dir() << ") ----\n" << log_tail();
}

std::string Daemon::log_text() const {
  return read_file(log_path());
}

std::string Daemon::log_tail(std::size_t lines) const {
  const std::string log = log_text();
  std::size_t pos = log.size();
  for (std::size_t n = 0; n <= lines && pos > 0; ++n) {
    const std::size_t nl = log.rfind('\n', pos - 1);
    if (nl == std::string::npos) return log;
    pos = nl;
  }
  return log.substr(pos == 0 ? 0 : pos + 1);
}

ClientOptions Daemon::client_options(std::string_view source) const {
  ClientOptions o;
  o.tls = tls_;
  o.source_address = std::string(source);
  if (tls_) o.trust_cert = dir() / "cert.pem";
  return o;
}

std::unique_ptr<Connection> Daemon::connect(std::string_view source) const {
  return std::make_unique<Connection>(port_, client_options(source));
}

Response Daemon::send(const Request& request) const {
  return send_once(port_, client_options(), request);
}

int Daemon::stop() {
  if (process_.running()) {
    process_.signal(SIGTERM);
    if (auto code = process_.wait_for_exit(std::chrono::seconds(15))) return *code;
  }
  return process_.kill_and_reap();
}

}  // namespace chronohook::testing

#include "support/reload.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

constexpr std::string_view kFinished = "reload finished: ";

std::size_t count_of(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace

void rewrite_config(const Daemon& daemon, std::string_view toml) {
  // Written beside it and renamed over it, as an editor or a deploy tool
  // would: a reload never reads half a file.
  const std::filesystem::path tmp = daemon.dir() / "chronohook.toml.new";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("rewrite_config: cannot create " + tmp.string());
  const ssize_t n = ::write(fd, toml.data(), toml.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(toml.size())) throw std::runtime_error("rewrite_config: short write");
  std::filesystem::rename(tmp, daemon.config_path());
}

std::string replace_certificate(const Daemon& daemon) {
  const CertFiles files = write_self_signed_cert(daemon.dir());
  return certificate_sha256(files.cert);
}

std::size_t reloads_finished(const Daemon& daemon) {
  return count_of(daemon.log_text(), kFinished);
}

std::string reload(Daemon& daemon) {
  const std::size_t before = reloads_finished(daemon);
  daemon.signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const std::string log = daemon.log_text();
    if (count_of(log, kFinished) > before) {
      // The (before+1)-th summary line, whole.
      std::size_t at = 0;
      for (std::size_t i = 0; i <= before; ++i) at = log.find(kFinished, i == 0 ? 0 : at + kFinished.size());
      const std::size_t end = log.find('\n', at);
      if (end != std::string::npos) return log.substr(at, end - at);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("no \"reload finished\" line within 10 s of SIGHUP; log:\n" + daemon.log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string log_lines_with(const Daemon& daemon, std::string_view text) {
  std::istringstream in(daemon.log_text());
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    if (line.find(text) != std::string::npos) out += line + "\n";
  }
  return out;
}

}  // namespace chronohook::testing

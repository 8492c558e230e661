#include "support/journal_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "support/process.hpp"

namespace chronohook::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kUnshare = "/usr/bin/unshare";

}  // namespace

std::string JournalEntry::field(const std::string& name) const {
  const auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::optional<JournalEntry> parse_journal_datagram(std::string_view d) {
  JournalEntry entry;
  entry.raw = std::string(d);
  while (!d.empty()) {
    const std::size_t newline = d.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;
    const std::size_t equals = d.find('=');
    if (equals != std::string_view::npos && equals < newline) {
      // NAME=value\n
      entry.fields[std::string(d.substr(0, equals))] = std::string(d.substr(equals + 1, newline - equals - 1));
      d.remove_prefix(newline + 1);
      continue;
    }
    // NAME\n, 64-bit little-endian length, value, \n
    const std::string name(d.substr(0, newline));
    d.remove_prefix(newline + 1);
    if (name.empty() || d.size() < 8) return std::nullopt;
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(d[static_cast<std::size_t>(i)]);
    d.remove_prefix(8);
    if (d.size() < length + 1 || d[length] != '\n') return std::nullopt;
    entry.fields[name] = std::string(d.substr(0, length));
    d.remove_prefix(length + 1);
  }
  return entry;
}

JournalSocket::JournalSocket(std::filesystem::path path, std::optional<int> receive_buffer) : path_(std::move(path)) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string p = path_.string();
  if (p.size() >= sizeof address.sun_path) throw std::runtime_error("journal socket path too long: " + p);
  std::memcpy(address.sun_path, p.c_str(), p.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("journal socket: socket() failed");
  if (receive_buffer) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &*receive_buffer, sizeof(int));
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    throw std::runtime_error("journal socket: cannot bind " + p + ": " + std::strerror(errno));
  }
}

JournalSocket::~JournalSocket() {
  if (fd_ >= 0) ::close(fd_);
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

bool JournalSocket::receive_until(const std::function<bool(const JournalEntry&)>& done,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  std::string buffer(256 * 1024, '\0');
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n <= 0) continue;
    auto entry = parse_journal_datagram(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    if (!entry) {
      ++malformed_;
      continue;
    }
    entries_.push_back(std::move(*entry));
    if (done(entries_.back())) return true;
  }
}

void JournalSocket::drain(std::chrono::milliseconds quiet) {
  while (receive_until([](const JournalEntry&) { return true; }, quiet)) {
  }
}

std::optional<std::string> private_run_unavailable() {
  if (::access(kUnshare, X_OK) != 0) return std::string(kUnshare) + " is missing (Debian package util-linux)";
  const CommandResult probe =
      run_command({kUnshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", "mount -t tmpfs tmpfs /run"},
                  {}, std::chrono::seconds(10));
  if (probe.exit_code != 0) {
    return "a private mount namespace is not available here (unshare --mount needs root or CAP_SYS_ADMIN): " +
           probe.err;
  }
  return std::nullopt;
}

std::vector<std::string> with_journal_dir(const std::filesystem::path& journal_dir,
                                          const std::vector<std::string>& command) {
  std::vector<std::string> argv{kUnshare,
                                "--mount",
                                "--propagation",
                                "private",
                                "--",
                                "/bin/sh",
                                "-c",
                                "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/systemd/journal && "
                                "mount --bind \"$0\" /run/systemd/journal && exec \"$@\"",
                                journal_dir.string()};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

}  // namespace chronohook::testing

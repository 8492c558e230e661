#include "support/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace chronohook::testing {

using SteadyClock = std::chrono::steady_clock;

NotifySocket::NotifySocket(std::filesystem::path path) : path_(std::move(path)) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path_.string();
  if (p.size() >= sizeof addr.sun_path) throw std::runtime_error("notify socket: path too long: " + p);
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("notify socket: socket: ") + std::strerror(errno));
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd_);
    throw std::runtime_error("notify socket: bind " + p + ": " + std::strerror(e));
  }
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) ::close(fd_);
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

std::vector<Notification> NotifySocket::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(timeout.count(), 0)));
  if (ready <= 0) return {};
  std::array<char, 4096> buffer{};
  const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n <= 0) return {};
  const auto at = SteadyClock::now();
  std::vector<Notification> lines;
  std::istringstream in(std::string(buffer.data(), static_cast<std::size_t>(n)));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(Notification{at, line});
  }
  return lines;
}

std::vector<Notification> NotifySocket::collect_for(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  std::vector<Notification> all;
  for (auto now = SteadyClock::now(); now < deadline; now = SteadyClock::now()) {
    auto lines = receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    all.insert(all.end(), lines.begin(), lines.end());
  }
  return all;
}

std::optional<std::vector<Notification>> NotifySocket::wait_for(std::string_view prefix,
                                                                std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  std::vector<Notification> all;
  for (auto now = SteadyClock::now(); now < deadline; now = SteadyClock::now()) {
    bool found = false;
    for (Notification& n : receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now))) {
      found = found || n.line.starts_with(prefix);
      all.push_back(std::move(n));
    }
    if (found) return all;
  }
  return std::nullopt;
}

}  // namespace chronohook::testing

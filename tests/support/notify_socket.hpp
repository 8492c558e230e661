// The service manager's end of sd_notify(): an AF_UNIX datagram socket the
// daemon finds in NOTIFY_SOCKET, as systemd binds it for a Type=notify unit.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chronohook::testing {

struct Notification {
  std::chrono::steady_clock::time_point at;  // when the test received it
  std::string line;                          // one "KEY=value" line
};

class NotifySocket {
 public:
  // Binds `path` (which must not exist; at most 107 bytes). Throws on failure.
  explicit NotifySocket(std::filesystem::path path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Every line received within `timeout` from now (a datagram may hold several).
  std::vector<Notification> collect_for(std::chrono::milliseconds timeout);
  // Lines up to and including the first that starts with `prefix` ("READY=1"),
  // waiting at most `timeout`; nullopt when it did not come.
  std::optional<std::vector<Notification>> wait_for(std::string_view prefix, std::chrono::milliseconds timeout);

 private:
  // One datagram's lines, or nothing within `timeout`.
  std::vector<Notification> receive(std::chrono::milliseconds timeout);

  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace chronohook::testing

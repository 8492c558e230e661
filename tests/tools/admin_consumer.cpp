// A consumer of the pull API for the black-box tests, as a separate process
// so a test can SIGKILL it anywhere: it reads pages through
// /v1/consumers/{name}/next, appends each event's seq to a file and fsyncs
// it, and only then acknowledges by PUTting its cursor. At-least-once: a
// kill between the fsync and the PUT makes it see that page again.
//
//   admin_consumer PORT NAME TOKEN SEEN_FILE [UNTIL_SEQ]
//
// With UNTIL_SEQ it exits 0 once its cursor reaches that seq; without, it
// runs until killed. Plain HTTP on 127.0.0.1, one connection per request.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace {

struct Answer {
  int status = 0;
  std::string body;
};

std::optional<Answer> http(std::uint16_t port, const std::string& method, const std::string& target,
                           const std::string& token, const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  const std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                              "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                              body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return std::nullopt;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto head_end = response.find("\r\n\r\n");
  if (response.size() < 12 || head_end == std::string::npos) return std::nullopt;
  return Answer{std::atoi(response.substr(9, 3).c_str()), response.substr(head_end + 4)};
}

bool append_and_sync(const std::string& file, const std::string& lines) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  // One write: a kill lands before or after it, never inside a line.
  const bool ok = ::write(fd, lines.data(), lines.size()) == static_cast<ssize_t>(lines.size()) && ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: admin_consumer PORT NAME TOKEN SEEN_FILE [UNTIL_SEQ]\n");
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  const std::string name = argv[2];
  const std::string token = argv[3];
  const std::string seen_file = argv[4];
  const std::optional<std::int64_t> until = argc > 5 ? std::optional<std::int64_t>(std::atoll(argv[5])) : std::nullopt;
  std::mt19937 random(static_cast<unsigned>(::getpid()));

  int failures = 0;
  std::int64_t acknowledged = -1;
  for (;;) {
    if (until && acknowledged >= *until) return 0;
    const int limit = std::uniform_int_distribution<int>(1, 12)(random);
    const auto page =
        http(port, "GET", "/v1/consumers/" + name + "/next?limit=" + std::to_string(limit) + "&wait=1", token, "");
    if (!page || page->status != 200) {
      if (++failures > 200) return 3;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const auto doc = nlohmann::json::parse(page->body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("events")) return 4;
    std::string lines;
    for (const auto& event : doc["events"]) lines += std::to_string(event["seq"].get<std::int64_t>()) + "\n";
    const std::int64_t next_after = doc["next_after"].get<std::int64_t>();
    if (!lines.empty()) {
      if (!append_and_sync(seen_file, lines)) return 5;
      // Processing takes a while: a kill here leaves events recorded but
      // not acknowledged, which the next run must see again.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 30)(random)));
      const auto put =
          http(port, "PUT", "/v1/consumers/" + name + "/cursor", token, "{\"seq\":" + std::to_string(next_after) + "}");
      if (!put || put->status != 200) {
        if (++failures > 200) return 6;
        continue;
      }
    }
    acknowledged = next_after;
  }
}

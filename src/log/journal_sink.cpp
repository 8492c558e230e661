// The journal's native protocol, spoken directly rather than through
// sd_journal_sendv(): libsystemd sends on a blocking socket of its own, so a
// journald that stops reading would block the logging thread for good (and
// with it the flush at exit), and it drops entries silently when the socket
// is missing. Here the socket is non-blocking, a stall costs at most
// kStallTimeoutMs, and every loss is counted and reported like stderr's.
//
// One datagram per entry; each field is `NAME=value\n`, or, for a value
// holding a newline, `NAME\n`, its length as 64-bit little-endian, the value
// and `\n` (systemd's "Native Journal Protocol").
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "log/losses.hpp"
#include "log/sinks.hpp"

namespace chronohook::logging::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Longer messages are cut (none of chronohook's come near): a datagram must
// fit the socket buffer whole.
constexpr std::size_t kMaxMessageBytes = 16 * 1024;
constexpr int kSendBufferBytes = 8 * 1024 * 1024;
constexpr std::string_view kIdentifier = "chronohook";

int connect_journal(std::string_view path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) return -1;
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  // Room for entries journald has not read yet, as libsystemd asks for.
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSendBufferBytes, sizeof kSendBufferBytes);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void append(spdlog::memory_buf_t& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

void append_field(spdlog::memory_buf_t& out, std::string_view name, std::string_view value) {
  append(out, name);
  if (value.find('\n') == std::string_view::npos) {
    out.push_back('=');
    append(out, value);
  } else {
    out.push_back('\n');
    std::uint64_t length = value.size();
    for (int i = 0; i < 8; ++i) {
      out.push_back(static_cast<char>(length & 0xff));
      length >>= 8;
    }
    append(out, value);
  }
  out.push_back('\n');
}

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  JournalSink(spdlog::details::thread_pool* pool, std::string path, int fd)
      : losses_(pool), path_(std::move(path)), fd_(fd) {}
  ~JournalSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  JournalSink(const JournalSink&) = delete;
  JournalSink& operator=(const JournalSink&) = delete;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    report_losses();
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (!send_entry(msg.level, text)) losses_.dropped(1);
  }
  void flush_() override { report_losses(); }

 private:
  void report_losses() {
    losses_.note_queue_overruns();
    if (losses_.unreported() == 0) return;
    // Not a line of its own in the counts: it is repeated, with a larger
    // number, until one gets through.
    if (send_entry(spdlog::level::warn, losses_.report("the journal"))) losses_.reported();
  }

  bool send_entry(spdlog::level::level_enum level, std::string_view text) {
    entry_.clear();
    append_field(entry_, "PRIORITY", std::to_string(syslog_priority(level)));
    append_field(entry_, "SYSLOG_IDENTIFIER", kIdentifier);
    if (text.size() > kMaxMessageBytes) {
      std::string cut(text.substr(0, kMaxMessageBytes));
      cut += "...";
      append_field(entry_, "MESSAGE", cut);
    } else {
      append_field(entry_, "MESSAGE", text);
    }
    const bool sent = send_datagram();
    stalled_ = !sent;
    return sent;
  }

  // Waits for room at most kStallTimeoutMs, and not at all while the journal
  // has been stalled since the last entry that got through.
  bool send_datagram() {
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(stalled_ ? 0 : kStallTimeoutMs);
    bool reconnected = false;
    for (;;) {
      if (fd_ >= 0 && ::send(fd_, entry_.data(), entry_.size(), MSG_NOSIGNAL) >= 0) return true;
      const int error = fd_ >= 0 ? errno : ENOTCONN;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == ENOBUFS) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) return false;
        pollfd pfd{fd_, POLLOUT, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) return false;
        if (ready > 0 && (pfd.revents & (POLLERR | POLLNVAL)) != 0) return false;
        continue;
      }
      // journald restarted and its socket was made anew: connect once more.
      if ((error == ECONNREFUSED || error == ENOTCONN || error == ENOENT) && !reconnected) {
        reconnected = true;
        if (fd_ >= 0) ::close(fd_);
        fd_ = connect_journal(path_);
        continue;
      }
      return false;
    }
  }

  Losses losses_;
  std::string path_;
  int fd_;
  spdlog::memory_buf_t entry_;
  bool stalled_ = false;
};

}  // namespace

std::shared_ptr<spdlog::sinks::sink> make_journal_sink(spdlog::details::thread_pool* pool,
                                                       std::string_view socket_path) {
  const int fd = connect_journal(socket_path);
  if (fd < 0) return nullptr;
  return std::make_shared<JournalSink>(pool, std::string(socket_path), fd);
}

}  // namespace chronohook::logging::detail

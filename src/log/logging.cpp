#include "chronohook/logging.hpp"

#include <unistd.h>

#include <cerrno>
#include <mutex>

#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace chronohook::logging {
namespace {

constexpr std::size_t kQueueLines = 1024;  // each slot is preallocated (~300 bytes)
constexpr std::size_t kWriteBatchBytes = 32 * 1024;

// Writes lines to stderr in batches: one write(2) for whatever the logging
// thread has on hand, instead of one (plus an fflush) per line as spdlog's
// stderr sink does. A line is never held back once the queue behind it is
// empty, so an idle daemon's log is as prompt as before.
class BatchingStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // `pool` is the one whose thread calls this sink. Held directly: asking
  // spdlog::thread_pool() here would deadlock against spdlog::shutdown().
  explicit BatchingStderrSink(spdlog::details::thread_pool* pool) : pool_(pool) {}
  ~BatchingStderrSink() override { write_pending(); }
  BatchingStderrSink(const BatchingStderrSink&) = delete;
  BatchingStderrSink& operator=(const BatchingStderrSink&) = delete;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    formatter_->format(msg, pending_);
    if (pending_.size() >= kWriteBatchBytes || pool_->queue_size() == 0) write_pending();
  }
  void flush_() override { write_pending(); }

 private:
  void write_pending() {
    const char* p = pending_.data();
    std::size_t left = pending_.size();
    while (left > 0) {
      const ssize_t n = ::write(STDERR_FILENO, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // nowhere to report a failing stderr; drop the batch
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    pending_.clear();
  }

  spdlog::details::thread_pool* pool_;
  spdlog::memory_buf_t pending_;
};

}  // namespace

Status init(std::string_view level) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Error{"log: unknown level \"" + sanitize(level, 32) +
                 "\": use trace, debug, info, warn, error, critical or off"};
  }
  // Lines are written by one logging thread, so an I/O thread never waits on
  // the write to stderr (or journald's socket behind it). A full queue makes
  // callers wait rather than drop lines.
  spdlog::init_thread_pool(kQueueLines, 1);
  auto logger = std::make_shared<spdlog::async_logger>(
      "chronohook", std::make_shared<BatchingStderrSink>(spdlog::thread_pool().get()), spdlog::thread_pool(),
      spdlog::async_overflow_policy::block);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

void shutdown() {
  // The flush travels through the queue behind every line already logged.
  if (auto logger = spdlog::default_logger()) logger->flush();
  spdlog::shutdown();
}

std::string sanitize(std::string_view text, std::size_t max) {
  std::string out;
  const std::size_t n = std::min(text.size(), max);
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    out.push_back(c >= 0x21 && c <= 0x7e ? c : '?');
  }
  if (text.size() > max) out += "...";
  return out;
}

void access(const AccessEntry& e) {
  auto dash = [](std::string_view s) { return s.empty() ? std::string_view("-") : s; };
  spdlog::info(
      "access method={} path={} status={} webhook={} event={} delivery={} bytes_in={} bytes_out={} "
      "latency_us={} peer={}",
      sanitize(e.method, 16), sanitize(e.path), e.status, dash(e.webhook), dash(e.event),
      e.delivery.empty() ? std::string("-") : sanitize(e.delivery), e.bytes_in, e.bytes_out, e.latency.count(),
      dash(e.peer));
}

}  // namespace chronohook::logging

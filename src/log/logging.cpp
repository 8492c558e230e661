#include "chronohook/logging.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <mutex>

#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace chronohook::logging {
namespace {

constexpr std::size_t kQueueLines = 1024;  // each slot is preallocated (~300 bytes)
constexpr std::size_t kWriteBatchBytes = 32 * 1024;
// How long the logging thread waits for a stalled stderr before it drops
// what it holds; while stderr stays stalled, later batches are dropped at once.
constexpr int kStallTimeoutMs = 500;

// Lines lost on the way to stderr: overrun in the queue or dropped by the sink.
std::atomic<std::uint64_t> g_dropped{0};

// Writes lines to stderr in batches: one write(2) for whatever the logging
// thread has on hand, instead of one (plus an fflush) per line as spdlog's
// stderr sink does. A line is never held back once the queue behind it is
// empty, so an idle daemon's log is as prompt as before.
//
// A stderr nobody reads (a hung pipe reader, a stopped journald) must not
// stop the daemon: callers never wait for the queue (it overruns its oldest
// lines), and this thread never waits on stderr for more than
// kStallTimeoutMs. Both kinds of loss are counted, and the first batch
// written after a loss says how many lines were dropped.
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
    ++pending_lines_;
    if (pending_.size() >= kWriteBatchBytes || pool_->queue_size() == 0) write_pending();
  }
  void flush_() override { write_pending(); }

 private:
  void write_pending() {
    note_queue_overruns();
    if (pending_.size() == 0 && unreported_ == 0) return;
    if (unreported_ > 0) prepend_drop_report();
    const std::size_t written = write_all(pending_.data(), pending_.size());
    if (written == pending_.size()) {
      stalled_ = false;
      unreported_ = 0;
    } else {
      // A line cut off mid-way must not run into the next one.
      if (written > 0 && pending_.data()[written - 1] != '\n') torn_ = true;
      stalled_ = true;
      unreported_ += pending_lines_;
      g_dropped.fetch_add(pending_lines_, std::memory_order_relaxed);
    }
    pending_.clear();
    pending_lines_ = 0;
  }

  // How much was written: all of it, or less when stderr failed or stayed
  // unwritable past the stall timeout. Writes of at most PIPE_BUF bytes after
  // POLLOUT do not block on a pipe, so the wait is bounded by poll alone.
  std::size_t write_all(const char* p, std::size_t left) {
    const std::size_t total = left;
    while (left > 0) {
      pollfd pfd{STDERR_FILENO, POLLOUT, 0};
      const int ready = ::poll(&pfd, 1, stalled_ ? 0 : kStallTimeoutMs);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0 || (pfd.revents & (POLLERR | POLLNVAL)) != 0) break;
      const ssize_t n = ::write(STDERR_FILENO, p, std::min<std::size_t>(left, PIPE_BUF));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    return total - left;
  }

  // Called only on the logging thread.
  void note_queue_overruns() {
    const std::size_t overrun = pool_->overrun_counter();
    if (overrun > overrun_seen_) {
      unreported_ += overrun - overrun_seen_;
      g_dropped.fetch_add(overrun - overrun_seen_, std::memory_order_relaxed);
      overrun_seen_ = overrun;
    }
  }

  // The report is not a line of its own in the counts: it is only
  // repeated, with a larger number, if this batch is dropped too.
  void prepend_drop_report() {
    spdlog::memory_buf_t report;
    if (torn_) report.push_back('\n');
    torn_ = false;
    const std::string text = std::to_string(unreported_) +
                             " log line(s) were dropped because stderr could not keep up; requests were not held up";
    formatter_->format(spdlog::details::log_msg("chronohook", spdlog::level::warn, text), report);
    report.append(pending_.data(), pending_.data() + pending_.size());
    pending_ = std::move(report);
  }

  spdlog::details::thread_pool* pool_;
  spdlog::memory_buf_t pending_;
  std::size_t pending_lines_ = 0;
  std::size_t overrun_seen_ = 0;
  std::uint64_t unreported_ = 0;  // dropped since the last report
  bool stalled_ = false;
  bool torn_ = false;  // the last write stopped mid-line
};

}  // namespace

Status init(std::string_view level) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Error{"log: unknown level \"" + sanitize(level, 32) +
                 "\": use trace, debug, info, warn, error, critical or off"};
  }
  // Lines are written by one logging thread, so an I/O thread never waits on
  // the write to stderr (or journald's socket behind it). A full queue drops
  // its oldest line rather than make a request wait: see BatchingStderrSink.
  spdlog::init_thread_pool(kQueueLines, 1);
  auto logger = std::make_shared<spdlog::async_logger>(
      "chronohook", std::make_shared<BatchingStderrSink>(spdlog::thread_pool().get()), spdlog::thread_pool(),
      spdlog::async_overflow_policy::overrun_oldest);
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

std::uint64_t dropped_lines() {
  return g_dropped.load(std::memory_order_relaxed);
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

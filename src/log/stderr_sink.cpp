// stderr in batches: one write(2) for whatever the logging thread has on
// hand, instead of one (plus an fflush) per line as spdlog's stderr sink
// does. A line is never held back once the queue behind it is empty, so an
// idle daemon's log is as prompt as a line-by-line one.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "log/losses.hpp"
#include "log/sinks.hpp"

namespace chronohook::logging::detail {
namespace {

constexpr std::size_t kWriteBatchBytes = 32 * 1024;

class BatchingStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit BatchingStderrSink(spdlog::details::thread_pool* pool) : losses_(pool) {}
  ~BatchingStderrSink() override { write_pending(); }
  BatchingStderrSink(const BatchingStderrSink&) = delete;
  BatchingStderrSink& operator=(const BatchingStderrSink&) = delete;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    formatter_->format(msg, pending_);
    ++pending_lines_;
    if (pending_.size() >= kWriteBatchBytes || losses_.queue_empty()) write_pending();
  }
  void flush_() override { write_pending(); }

 private:
  void write_pending() {
    losses_.note_queue_overruns();
    if (pending_.size() == 0 && losses_.unreported() == 0) return;
    if (losses_.unreported() > 0) prepend_drop_report();
    const std::size_t written = write_all(pending_.data(), pending_.size());
    if (written == pending_.size()) {
      stalled_ = false;
      losses_.reported();
    } else {
      // A line cut off mid-way must not run into the next one.
      if (written > 0 && pending_.data()[written - 1] != '\n') torn_ = true;
      stalled_ = true;
      losses_.dropped(pending_lines_);
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

  // The report is not a line of its own in the counts: it is only
  // repeated, with a larger number, if this batch is dropped too.
  void prepend_drop_report() {
    spdlog::memory_buf_t report;
    if (torn_) report.push_back('\n');
    torn_ = false;
    const std::string text = losses_.report("stderr");
    formatter_->format(spdlog::details::log_msg("chronohook", spdlog::level::warn, text), report);
    report.append(pending_.data(), pending_.data() + pending_.size());
    pending_ = std::move(report);
  }

  Losses losses_;
  spdlog::memory_buf_t pending_;
  std::size_t pending_lines_ = 0;
  bool stalled_ = false;
  bool torn_ = false;  // the last write stopped mid-line
};

}  // namespace

std::shared_ptr<spdlog::sinks::sink> make_stderr_sink(spdlog::details::thread_pool* pool) {
  return std::make_shared<BatchingStderrSink>(pool);
}

}  // namespace chronohook::logging::detail

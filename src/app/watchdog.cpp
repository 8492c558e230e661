#include "app/watchdog.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdlib>

#include <spdlog/spdlog.h>

namespace chronohook::app {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr milliseconds kStatusEvery{1000};  // STATUS= at most this often

std::string seconds_text(SteadyClock::duration d) {
  return fmt::format("{:.1f} s", static_cast<double>(duration_cast<milliseconds>(d).count()) / 1000.0);
}

SteadyClock::rep ticks(SteadyClock::time_point t) {
  return t.time_since_epoch().count();
}

SteadyClock::time_point from_ticks(SteadyClock::rep r) {
  return SteadyClock::time_point(SteadyClock::duration(r));
}

}  // namespace

WatchdogLimits WatchdogLimits::for_interval(microseconds interval) {
  WatchdogLimits l;
  l.interval = interval;
  l.ping_every = std::max(interval / 2, microseconds(1000));
  l.tick_every = std::max(interval / 4, microseconds(1000));
  l.loop_stall = std::max(interval / 2, microseconds(2000));
  l.writer_stall = std::max<microseconds>(interval / 2, 2 * EventStore::kIdleHeartbeat);
  return l;
}

std::string stalled_part(const Liveness& seen, const WatchdogLimits& limits) {
  if (seen.now - seen.writer_progress > limits.writer_stall) {
    return "the writer has made no progress for " + seconds_text(seen.now - seen.writer_progress) +
           " (a commit waiting on another process's lock, or on the disk)";
  }
  if (seen.now - seen.loop_tick > limits.loop_stall) {
    return "the event loop has run no timer for " + seconds_text(seen.now - seen.loop_tick);
  }
  for (std::size_t i = 0; i < seen.thread_beats.size(); ++i) {
    if (seen.now - seen.thread_beats[i] > limits.loop_stall) {
      return "I/O thread " + std::to_string(i) + " has been in one handler for " +
             seconds_text(seen.now - seen.thread_beats[i]);
    }
  }
  return {};
}

std::string status_line(const StatusFigures& f) {
  std::string line = fmt::format("listening on {}; {} hook(s) stored, {} duplicate(s), queue {}/{}, {} connection(s)",
                                 f.listening, f.stored, f.duplicates, f.queued, f.queue_capacity, f.connections);
  if (!f.stall.empty()) line += "; watchdog: " + f.stall;
  return line;
}

std::unique_ptr<ServiceNotifier> ServiceNotifier::start(boost::asio::io_context& ioc, unsigned io_threads,
                                                        Sources sources) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return nullptr;
  std::uint64_t usec = 0;
  std::optional<WatchdogLimits> limits;
  // 0: WATCHDOG_USEC unset, or WATCHDOG_PID names another process.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    limits = WatchdogLimits::for_interval(microseconds(usec));
    spdlog::info(
        "watchdog: WATCHDOG=1 every {} while the event loop, {} I/O thread(s) and the writer make progress "
        "(WatchdogSec={})",
        seconds_text(limits->ping_every), io_threads, seconds_text(limits->interval));
    if (sources.busy_timeout >= limits->writer_stall) {
      spdlog::warn(
          "watchdog: busy_timeout_ms = {} is not below {}, when a writer waiting on another process's lock stops "
          "the pings: such a wait gets the service restarted; make WatchdogSec= more than twice busy_timeout_ms",
          sources.busy_timeout.count(), seconds_text(limits->writer_stall));
    }
  }
  auto notifier = std::unique_ptr<ServiceNotifier>(new ServiceNotifier(ioc, io_threads, std::move(sources), limits));
  if (limits) notifier->arm_loop_timer();
  notifier->thread_ = std::thread([n = notifier.get()] { n->run(); });
  return notifier;
}

ServiceNotifier::ServiceNotifier(boost::asio::io_context& ioc, unsigned io_threads, Sources sources,
                                 std::optional<WatchdogLimits> limits)
    : sources_(std::move(sources)),
      limits_(limits),
      loop_timer_(ioc),
      thread_beats_(new std::atomic<SteadyClock::rep>[io_threads]),
      io_threads_(io_threads) {
  const SteadyClock::rep now = ticks(SteadyClock::now());
  loop_tick_.store(now);
  for (unsigned i = 0; i < io_threads_; ++i) thread_beats_[i].store(now);
}

ServiceNotifier::~ServiceNotifier() {
  stop();
}

void ServiceNotifier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Runs on whichever I/O thread is free: it fires only while the loop turns.
void ServiceNotifier::arm_loop_timer() {
  loop_timer_.expires_after(limits_->tick_every);
  loop_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    loop_tick_.store(ticks(SteadyClock::now()));
    arm_loop_timer();
  });
}

void ServiceNotifier::run_io_thread(boost::asio::io_context& ioc, unsigned index) {
  if (!limits_ || index >= io_threads_) {
    ioc.run();
    return;
  }
  std::atomic<SteadyClock::rep>& beat = thread_beats_[index];
  while (!ioc.stopped()) {
    ioc.run_one_for(limits_->tick_every);
    beat.store(ticks(SteadyClock::now()));
  }
}

Liveness ServiceNotifier::sample() const {
  Liveness l;
  l.now = SteadyClock::now();
  l.loop_tick = from_ticks(loop_tick_.load());
  for (unsigned i = 0; i < io_threads_; ++i) l.thread_beats.push_back(from_ticks(thread_beats_[i].load()));
  l.writer_progress = sources_.store.last_progress();
  return l;
}

void ServiceNotifier::run() {
  SteadyClock::time_point next_ping = SteadyClock::now();
  SteadyClock::time_point next_status = next_ping;
  std::string last_status;
  std::string last_stall;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      const SteadyClock::time_point until = limits_ ? std::min(next_ping, next_status) : next_status;
      if (wake_.wait_until(lock, until, [this] { return stopping_; })) return;
    }
    const SteadyClock::time_point now = SteadyClock::now();
    std::string stall;
    if (limits_) {
      stall = stalled_part(sample(), *limits_);
      if (stall != last_stall) {
        if (!stall.empty()) {
          spdlog::error("watchdog: {}; WATCHDOG=1 stops, so systemd restarts the service {} after the last one", stall,
                        seconds_text(limits_->interval));
        } else {
          spdlog::warn("watchdog: every part makes progress again; WATCHDOG=1 resumes");
        }
        last_stall = stall;
      }
    }
    std::string message;
    if (limits_ && now >= next_ping) {
      if (stall.empty()) message += "WATCHDOG=1\n";
      next_ping = now + limits_->ping_every;
    }
    if (now >= next_status) {
      const std::string status = status_line(StatusFigures{
          sources_.listening, sources_.counters.hooks_stored.load(), sources_.counters.hooks_duplicate.load(),
          sources_.store.queued(), sources_.queue_capacity, sources_.counters.connections_open.load(), stall});
      if (status != last_status) {
        message += "STATUS=" + status + "\n";
        last_status = status;
      }
      next_status = now + kStatusEvery;
    }
    if (!message.empty()) sd_notify(0, message.c_str());
  }
}

void run_io_thread(boost::asio::io_context& ioc, ServiceNotifier* notifier, unsigned index) {
  if (notifier == nullptr) {
    ioc.run();
  } else {
    notifier->run_io_thread(ioc, index);
  }
}

}  // namespace chronohook::app

// Talking to the service manager while serving: WATCHDOG=1 only while the
// event loop, every I/O thread and the writer make progress (WatchdogSec=
// in the unit: a wedged loop or a writer stuck in a commit gets the service
// restarted), and a one-line STATUS= summary. Private to src/app.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chronohook/counters.hpp"
#include "chronohook/event_store.hpp"

namespace chronohook::app {

using SteadyClock = std::chrono::steady_clock;

// How long each part may go without progress before the pings stop, for a
// watchdog interval W: the loop and the I/O threads tick every W/4, so W/2
// without a tick is a wedge; the writer may also be idle, when it shows
// itself every EventStore::kIdleHeartbeat, so it gets at least twice that.
struct WatchdogLimits {
  std::chrono::microseconds interval{0};  // W, from WATCHDOG_USEC
  std::chrono::microseconds ping_every{0};
  std::chrono::microseconds tick_every{0};
  std::chrono::microseconds loop_stall{0};
  std::chrono::microseconds writer_stall{0};
  static WatchdogLimits for_interval(std::chrono::microseconds interval);
};

struct Liveness {
  SteadyClock::time_point now;
  SteadyClock::time_point loop_tick;                  // the io_context's timer last fired
  std::vector<SteadyClock::time_point> thread_beats;  // each I/O thread last returned from a handler or a wait
  SteadyClock::time_point writer_progress;            // EventStore::last_progress()
};

// Empty when everything moves; else what stopped, for the log and STATUS=
// ("the writer has made no progress for 3 s"). Pure.
std::string stalled_part(const Liveness& seen, const WatchdogLimits& limits);

struct StatusFigures {
  std::string listening;  // "0.0.0.0:8443"
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::size_t queued = 0;
  std::size_t queue_capacity = 0;
  std::uint64_t connections = 0;
  std::string stall;  // stalled_part(), empty when healthy
};

// The STATUS= text, one line: "listening on 0.0.0.0:8443; 12 hook(s) stored,
// 1 duplicate(s), queue 0/1024, 2 connection(s)". Pure.
std::string status_line(const StatusFigures& figures);

// sd_notify() while serving. Inert (start() returns null) when there is no
// NOTIFY_SOCKET: then nothing changes, not even how the I/O threads run.
class ServiceNotifier {
 public:
  struct Sources {
    const EventStore& store;
    const Counters& counters;
    std::string listening;
    std::size_t queue_capacity;
    std::chrono::milliseconds busy_timeout;  // only to warn about a too short WatchdogSec=
  };

  // After READY=1. Reads WATCHDOG_USEC/WATCHDOG_PID (sd_watchdog_enabled);
  // arms a timer on `ioc` and starts a thread that sends STATUS= (at most
  // once a second, when it changed) and, with a watchdog, WATCHDOG=1 every
  // W/2 while nothing stalls. `io_threads`: how many threads will call
  // run_io_thread().
  static std::unique_ptr<ServiceNotifier> start(boost::asio::io_context& ioc, unsigned io_threads, Sources sources);
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // Runs `ioc` on the calling I/O thread number `index` until it stops.
  // With a watchdog it returns to note the time after every handler and at
  // least every W/4, so a thread stuck in one handler is seen; without one
  // it is ioc.run(). With no notifier at all, call ioc.run() directly.
  void run_io_thread(boost::asio::io_context& ioc, unsigned index);

  // Stops the thread; call after the I/O threads have returned.
  void stop();

 private:
  ServiceNotifier(boost::asio::io_context& ioc, unsigned io_threads, Sources sources,
                  std::optional<WatchdogLimits> limits);
  void arm_loop_timer();
  void run();  // the notifier thread
  Liveness sample() const;

  Sources sources_;
  std::optional<WatchdogLimits> limits_;  // none: STATUS= only
  boost::asio::steady_timer loop_timer_;
  std::atomic<SteadyClock::rep> loop_tick_{0};
  std::unique_ptr<std::atomic<SteadyClock::rep>[]> thread_beats_;
  unsigned io_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// ioc.run() on I/O thread `index`, through the notifier when there is one.
void run_io_thread(boost::asio::io_context& ioc, ServiceNotifier* notifier, unsigned index);

}  // namespace chronohook::app

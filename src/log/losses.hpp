// Private to src/log: what every sink shares about lines that never reached
// their destination, so that each loss is counted once and reported once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <spdlog/async.h>  // thread_pool.h needs async_logger.h first

namespace chronohook::logging::detail {

// Adds to the process-wide count logging::dropped_lines() returns.
void count_dropped(std::uint64_t lines);

// Called only on the logging thread (from a sink).
class Losses {
 public:
  // `pool` is the one whose thread calls the sink. Held directly: asking
  // spdlog::thread_pool() from a sink would deadlock against spdlog::shutdown().
  explicit Losses(spdlog::details::thread_pool* pool) : pool_(pool) {}

  // Lines the queue overran (dropped its oldest) since the last call.
  void note_queue_overruns();
  // Lines the sink could not deliver.
  void dropped(std::uint64_t lines);

  // Lost since the last report.
  std::uint64_t unreported() const { return unreported_; }
  void reported() { unreported_ = 0; }
  // "12 log line(s) were dropped because stderr could not keep up; ..."
  std::string report(std::string_view destination) const;

  // Nothing else waits behind the line being written.
  bool queue_empty() const { return pool_->queue_size() == 0; }

 private:
  spdlog::details::thread_pool* pool_;
  std::size_t overrun_seen_ = 0;
  std::uint64_t unreported_ = 0;
};

}  // namespace chronohook::logging::detail

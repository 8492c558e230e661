// Private to src/store: times one transaction of hooks for /metrics (commit
// latency and batch size), on the writer thread. Two clock reads and three
// relaxed adds a commit.
#pragma once

#include <chrono>
#include <cstddef>

#include "chronohook/counters.hpp"

namespace chronohook {

class CommitTimer {
 public:
  CommitTimer(Counters& counters, std::size_t hooks)
      : counters_(counters), hooks_(hooks), began_(std::chrono::steady_clock::now()) {}
  ~CommitTimer() {
    const auto took = std::chrono::steady_clock::now() - began_;
    counters_.commit_micros.observe(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
    counters_.batch_size.observe(hooks_);
  }
  CommitTimer(const CommitTimer&) = delete;
  CommitTimer& operator=(const CommitTimer&) = delete;

 private:
  Counters& counters_;
  std::size_t hooks_;
  std::chrono::steady_clock::time_point began_;
};

}  // namespace chronohook

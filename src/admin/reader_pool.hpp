// A fixed set of read-only database connections, each on a thread of its
// own, serving the API's reads. Reads never run on an I/O thread and never
// touch the writer's connection (WAL lets them read while it writes). The
// queue in front of them is bounded: when it is full a request is refused
// at once (503) instead of waiting without bound.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "chronohook/event_reader.hpp"
#include "chronohook/result.hpp"

namespace chronohook::admin {

class ReaderPool {
 public:
  // Runs on a reader thread with that thread's connection. Must not block
  // on anything but the database; hand the result back by posting.
  using Job = std::function<void(EventReader&)>;

  // Opens `readers` connections to the database at `path` (which must
  // exist and be migrated: open it after the EventStore) and starts one
  // thread per connection. Up to `readers` more jobs may wait in the queue.
  static Result<std::unique_ptr<ReaderPool>> open(const std::filesystem::path& path, std::size_t readers);

  ~ReaderPool();
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // Queues `job`; false (and `job` dropped) when the queue is full or the
  // pool is stopping.
  bool try_submit(Job job);

  // Runs what is queued, then joins the threads. Idempotent.
  void stop();

 private:
  explicit ReaderPool(std::size_t capacity) : capacity_(capacity) {}
  void run(EventReader& reader);

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<EventReader>> readers_;
  std::vector<std::thread> threads_;
};

}  // namespace chronohook::admin

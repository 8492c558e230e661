#include "admin/reader_pool.hpp"

namespace chronohook::admin {

Result<std::unique_ptr<ReaderPool>> ReaderPool::open(const std::filesystem::path& path, std::size_t readers) {
  std::unique_ptr<ReaderPool> pool(new ReaderPool(readers));
  for (std::size_t i = 0; i < readers; ++i) {
    auto reader = EventReader::open(path);
    if (!reader) return Error{"admin: cannot open a read-only connection: " + reader.error().message};
    pool->readers_.push_back(std::make_unique<EventReader>(std::move(*reader)));
  }
  for (auto& reader : pool->readers_) {
    pool->threads_.emplace_back([raw = pool.get(), r = reader.get()] { raw->run(*r); });
  }
  return pool;
}

ReaderPool::~ReaderPool() {
  stop();
}

bool ReaderPool::try_submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void ReaderPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ReaderPool::run(EventReader& reader) {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job(reader);
  }
}

}  // namespace chronohook::admin

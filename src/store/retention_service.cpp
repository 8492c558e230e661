// The daemon's retention thread: sleeps, plans a pass on its own read-only
// connection, and deletes through the writer (run_prune), until shutdown.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "chronohook/retention.hpp"

namespace chronohook {
namespace {

constexpr std::chrono::seconds kFirstPassAfter{10};

std::string limits_of(const RetentionConfig& c) {
  std::string out;
  if (c.max_age) out += "max_age " + format_age(*c.max_age);
  if (c.max_events) out += (out.empty() ? "" : ", ") + std::string("max_events ") + std::to_string(*c.max_events);
  return out;
}

}  // namespace

Result<std::unique_ptr<RetentionService>> RetentionService::start(const RetentionConfig& config,
                                                                  const std::filesystem::path& database,
                                                                  std::vector<std::string> consumers,
                                                                  EventStore& store) {
  auto reader = sqlite::Database::open(database, sqlite::Database::Mode::kReadOnly);
  if (!reader) return Error{"retention: " + reader.error().message};
  if (auto st = reader->exec("PRAGMA busy_timeout = 5000"); !st) return Error{"retention: " + st.error().message};
  std::unique_ptr<RetentionService> service(
      new RetentionService(config, std::move(*reader), std::move(consumers), store));
  spdlog::info("retention: {}, a pass every {}, {} event(s) per batch, {}", limits_of(config),
               format_age(config.interval), config.batch_size,
               !config.keep_unacknowledged ? "unacknowledged events may be deleted"
               : service->consumers_.empty()
                   ? "no [[consumer]] configured"
                   : "never past the cursor of any of " + std::to_string(service->consumers_.size()) + " consumer(s)");
  service->thread_ = std::thread([raw = service.get()] { raw->run(); });
  return service;
}

RetentionService::RetentionService(const RetentionConfig& config, sqlite::Database reader,
                                   std::vector<std::string> consumers, EventStore& store)
    : config_(config), reader_(std::move(reader)), consumers_(std::move(consumers)), store_(store) {}

RetentionService::~RetentionService() {
  stop();
}

void RetentionService::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

void RetentionService::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

bool RetentionService::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void RetentionService::run() {
  const WriteRunner write = write_through_store(store_);
  std::chrono::steady_clock::duration wait =
      std::min<std::chrono::steady_clock::duration>(config_.interval, kFirstPassAfter);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
    }
    wait = config_.interval;
    const auto started = std::chrono::steady_clock::now();
    auto report =
        run_prune(reader_, write, config_, consumers_, std::chrono::system_clock::now(), [this] { return stopping(); });
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (!report) {
      // A batch refused because the store is stopping is the shutdown, not a fault.
      if (stopping()) return;
      spdlog::warn("{} (next pass in {})", report.error().message, format_age(config_.interval));
      continue;
    }
    spdlog::info("retention: {} ({} ms)", describe(*report, false), ms);
  }
}

}  // namespace chronohook

#include "admin/status.hpp"

#include <sys/stat.h>

#include "chronohook/logging.hpp"
#include "chronohook/version.hpp"

namespace chronohook::admin {
namespace {

using Clock = std::chrono::steady_clock;

std::optional<Age> age_of(Clock::time_point when, Clock::time_point now) {
  if (when == Clock::time_point{}) return std::nullopt;  // never
  return std::max(Age{0}, std::chrono::duration_cast<Age>(now - when));
}

std::optional<std::uint64_t> size_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

Health take_health(Shared& shared) {
  const Clock::time_point now = Clock::now();
  const WriterHealth writer = shared.store.writer_health();
  Health h;
  h.draining = shared.draining.load();
  h.webhook_listening = shared.webhook_listening.load();
  h.writer_progress_age = age_of(writer.last_progress, now).value_or(Age{0});
  h.lock_wait = age_of(writer.lock_wait_since, now);
  h.since_write_ok = age_of(writer.last_write_ok, now);
  h.since_commit_ok = age_of(writer.last_commit_ok, now);
  h.since_failure = age_of(writer.last_failure, now);
  h.failure = writer.failure;
  h.queued = shared.store.queued();
  h.queue_capacity = shared.queue_capacity;
  return h;
}

MetricsSnapshot take_metrics(Shared& shared) {
  MetricsSnapshot m;
  m.counters = shared.counters->snapshot();
  m.health = take_health(shared);
  m.ready = not_ready_reasons(m.health).empty();
  m.admin_connections = shared.count();
  m.database_bytes = size_of(shared.database);
  m.wal_bytes = size_of(shared.database.string() + "-wal");
  m.log_lines_dropped = logging::dropped_lines();
  m.version = kVersion;
  return m;
}

}  // namespace chronohook::admin

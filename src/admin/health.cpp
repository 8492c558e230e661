#include "admin/health.hpp"

#include <nlohmann/json.hpp>

namespace chronohook::admin {
namespace {

std::string seconds(Age age) {
  const auto tenths = age.count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

// Failures an idle probe cannot see heal: it takes the lock and writes nothing.
bool about_the_disk(WriteFailure f) {
  return f == WriteFailure::kDiskFull || f == WriteFailure::kReadOnly || f == WriteFailure::kIoError ||
         f == WriteFailure::kCorrupt;
}

// `a` happened after `b` (ages: smaller is more recent; never is oldest).
bool after(const std::optional<Age>& a, const std::optional<Age>& b) {
  return a && (!b || *a < *b);
}

}  // namespace

std::vector<std::string> not_ready_reasons(const Health& h) {
  std::vector<std::string> reasons;
  if (h.draining) reasons.emplace_back("shutting down: draining connections");
  if (!h.webhook_listening) reasons.emplace_back("the webhook listener is not accepting connections");

  bool said_locked = false;
  if (h.lock_wait && *h.lock_wait >= kLockWaitLimit) {
    reasons.push_back("the database is locked by another process: the writer has waited " + seconds(*h.lock_wait) +
                      " for it");
    said_locked = true;
  } else if (h.writer_progress_age >= kWriterStalledAfter) {
    reasons.push_back("the writer has made no progress for " + seconds(h.writer_progress_age) +
                      " (a commit or fsync that does not return)");
  }

  if (h.failure != WriteFailure::kNone && h.since_failure) {
    const bool latest = after(h.since_failure, h.since_write_ok);
    const bool held =
        about_the_disk(h.failure) && after(h.since_failure, h.since_commit_ok) && *h.since_failure < kDiskFailureHold;
    if ((latest || held) && !(said_locked && h.failure == WriteFailure::kLocked)) {
      reasons.push_back("the last write to the database failed " + seconds(*h.since_failure) +
                        " ago: " + describe(h.failure));
    }
  }

  if (h.queue_capacity > 0 && h.queued >= h.queue_capacity) {
    reasons.push_back("the queue is full: " + std::to_string(h.queued) + " hook(s) wait for the writer ([storage] " +
                      "queue_capacity = " + std::to_string(h.queue_capacity) + ")");
  }
  return reasons;
}

std::string health_body() {
  return R"({"status":"ok"})";
}

std::string readiness_body(const Health& h, const std::vector<std::string>& reasons) {
  nlohmann::json doc{
      {"status", reasons.empty() ? "ready" : "not ready"},
      {"queue", {{"depth", h.queued}, {"capacity", h.queue_capacity}}},
      {"writer_progress_age_ms", h.writer_progress_age.count()},
  };
  if (!reasons.empty()) doc["reasons"] = reasons;
  return doc.dump();
}

}  // namespace chronohook::admin

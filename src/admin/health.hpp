// /healthz and /readyz: what the daemon's state looks like at one instant
// (Health, taken by the session in status.cpp), and the pure judgement of
// whether it is ready for hooks. No clock, no store, no socket here.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "chronohook/event_store.hpp"

namespace chronohook::admin {

// An idle writer wakes every EventStore::kIdleHeartbeat: one that has not
// moved for this long is stuck (a hung fsync, a long lock wait).
inline constexpr std::chrono::milliseconds kWriterStalledAfter{5'000};
// Waiting this long for another process's lock: the database is not
// writable in any sense drchrono cares about.
inline constexpr std::chrono::milliseconds kLockWaitLimit{3'000};
// A write that failed for the disk's sake (full, read-only, I/O, corrupt)
// keeps the daemon unready until a commit succeeds, or this long after the
// failure if no hook came to try (an orchestrator that stops sending hooks
// to an unready instance would otherwise keep it unready for ever); an
// idle probe cannot tell, since it writes nothing.
inline constexpr std::chrono::milliseconds kDiskFailureHold{30'000};

using Age = std::chrono::milliseconds;

struct Health {
  bool draining = false;           // shutting down
  bool webhook_listening = false;  // the webhook listener is accepting
  Age writer_progress_age{0};      // now - EventStore::last_progress()
  std::optional<Age> lock_wait;    // the writer waiting for another process's lock, this long
  std::optional<Age> since_write_ok;
  std::optional<Age> since_commit_ok;
  std::optional<Age> since_failure;
  WriteFailure failure = WriteFailure::kNone;
  std::size_t queued = 0;
  std::size_t queue_capacity = 0;
};

// Every reason the daemon is not ready, in words an operator acts on; empty
// when it is ready.
std::vector<std::string> not_ready_reasons(const Health& health);

// The answers, as JSON bodies.
std::string health_body();
std::string readiness_body(const Health& health, const std::vector<std::string>& reasons);

}  // namespace chronohook::admin

// Process-wide counters, shared by the handler, the sessions and the store.
// The admin listener will export them; nothing here holds payload or secrets.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace chronohook {

class Counters {
 public:
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> hooks_stored{0};
  std::atomic<std::uint64_t> hooks_duplicate{0};
  std::atomic<std::uint64_t> hooks_conflicting{0};  // stored ones whose delivery id came with another body
  std::atomic<std::uint64_t> hooks_failed{0};       // store errors answered 503
  std::atomic<std::uint64_t> hooks_overloaded{0};   // queue full answered 503
  std::atomic<std::uint64_t> unauthorized{0};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> verifications{0};
  std::atomic<std::uint64_t> unknown_events{0};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> connections_evicted{0};         // idle ones closed at max_connections
  std::atomic<std::uint64_t> connections_refused_source{0};  // over max_connections_per_source

  // Counts a hook whose event name is well-formed but not in the known list.
  // Returns true the first time this name is seen, so it is logged once.
  // At most kMaxDistinctUnknown names are remembered; later names are counted
  // but reported as seen, so a sender cannot grow this set without bound.
  bool note_unknown_event(std::string_view name);

  static constexpr std::size_t kMaxDistinctUnknown = 256;

 private:
  std::mutex unknown_mutex_;
  std::set<std::string, std::less<>> unknown_names_;
};

inline bool Counters::note_unknown_event(std::string_view name) {
  unknown_events.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(unknown_mutex_);
  if (unknown_names_.size() >= kMaxDistinctUnknown || unknown_names_.find(name) != unknown_names_.end()) {
    return false;
  }
  unknown_names_.emplace(name);
  return true;
}

}  // namespace chronohook

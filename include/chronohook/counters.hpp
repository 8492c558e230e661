// Process-wide counters, shared by the handler, the sessions and the store,
// exported by the admin listener's /metrics. Everything on the ingest path is
// a relaxed atomic add: no lock, no allocation. Nothing here holds payload,
// a delivery id, a patient id or a secret; every label set is bounded.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace chronohook {

struct HistogramSnapshot {
  std::vector<std::uint64_t> bounds;  // upper bounds, ascending, in the histogram's unit
  std::vector<std::uint64_t> counts;  // per bucket, not cumulative; one more than bounds (the +Inf bucket)
  std::uint64_t sum = 0;
};

// Fixed buckets; observe() is one relaxed add to a bucket and one to the sum.
template <std::size_t N>
class Histogram {
 public:
  explicit constexpr Histogram(const std::array<std::uint64_t, N>& bounds) : bounds_(bounds) {}

  void observe(std::uint64_t value) {
    std::size_t i = 0;
    while (i < N && value > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  HistogramSnapshot snapshot() const {
    HistogramSnapshot s;
    s.bounds.assign(bounds_.begin(), bounds_.end());
    for (const auto& b : buckets_) s.counts.push_back(b.load(std::memory_order_relaxed));
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::array<std::uint64_t, N> bounds_;
  std::array<std::atomic<std::uint64_t>, N + 1> buckets_{};
  std::atomic<std::uint64_t> sum_{0};
};

// The status codes requests are counted by; any other counts as "other".
inline constexpr std::array<int, 12> kCountedStatuses{200, 400, 401, 403, 404, 405, 408, 413, 429, 431, 500, 503};

// Answers of the webhook listener by webhook and status. The webhooks are
// registered before traffic starts; a request that matched none (a wrong
// path, an unparseable request) counts under "no webhook".
class RequestCounts {
 public:
  // Call once, before any count(); later calls are ignored.
  void register_webhooks(const std::vector<std::string>& names);
  void count(std::string_view webhook, int status);

  struct Row {
    std::string webhook;  // empty: no webhook
    std::string code;     // "200", ..., "other"
    std::uint64_t value = 0;
  };
  std::vector<Row> snapshot() const;

 private:
  static constexpr std::size_t kColumns = kCountedStatuses.size() + 1;
  std::vector<std::string> names_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // (names_ + 1) rows of kColumns
  std::atomic<bool> ready_{false};
};

// Commit latency in microseconds, 100 us to 10 s.
inline constexpr std::array<std::uint64_t, 16> kCommitMicrosBounds{
    100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000,
    1'000'000, 2'500'000, 5'000'000, 10'000'000};
// Hooks per commit, 1 to 4096.
inline constexpr std::array<std::uint64_t, 13> kBatchSizeBounds{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048,
                                                                4096};

struct CountersSnapshot;

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
  std::atomic<std::uint64_t> verifications{0};  // answered with the HMAC
  std::atomic<std::uint64_t> unknown_events{0};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> connections_evicted{0};         // idle ones closed at max_connections
  std::atomic<std::uint64_t> connections_refused_source{0};  // over max_connections_per_source

  // Verification GETs on a webhook's path, and those refused, by why.
  std::atomic<std::uint64_t> verification_requests{0};
  std::atomic<std::uint64_t> verification_disabled{0};      // verify = false: 403
  std::atomic<std::uint64_t> verification_invalid{0};       // msg missing, too long, malformed: 400
  std::atomic<std::uint64_t> verification_rate_limited{0};  // 429

  // The admin listener.
  std::atomic<std::uint64_t> admin_unauthorized{0};
  std::atomic<std::uint64_t> admin_tls_handshake_failures{0};

  RequestCounts requests_by_status;
  // Stored hooks by event name: one slot per known name (event_names.hpp),
  // one for every other name. Returns whether the name is a known one.
  bool count_stored(std::string_view event);
  Histogram<kCommitMicrosBounds.size()> commit_micros{kCommitMicrosBounds};
  Histogram<kBatchSizeBounds.size()> batch_size{kBatchSizeBounds};

  // Counts a hook whose event name is well-formed but not in the known list.
  // Returns true the first time this name is seen, so it is logged once.
  // At most kMaxDistinctUnknown names are remembered; later names are counted
  // but reported as seen, so a sender cannot grow this set without bound.
  bool note_unknown_event(std::string_view name);

  static constexpr std::size_t kMaxDistinctUnknown = 256;

  CountersSnapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, 29> stored_by_event_{};  // kEventMetricLabels + 1 (static_assert'ed)
  std::mutex unknown_mutex_;
  std::set<std::string, std::less<>> unknown_names_;
};

// Plain values read from Counters at one moment (each value by itself; a
// scrape never stops a counter).
struct CountersSnapshot {
  std::uint64_t hooks_stored = 0;
  std::uint64_t hooks_duplicate = 0;
  std::uint64_t hooks_conflicting = 0;
  std::uint64_t hooks_failed = 0;
  std::uint64_t hooks_overloaded = 0;
  std::uint64_t unauthorized = 0;
  std::uint64_t bad_requests = 0;
  std::uint64_t verifications = 0;
  std::uint64_t verification_requests = 0;
  std::uint64_t verification_disabled = 0;
  std::uint64_t verification_invalid = 0;
  std::uint64_t verification_rate_limited = 0;
  std::uint64_t connections_open = 0;
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t connections_evicted = 0;
  std::uint64_t connections_refused_source = 0;
  std::uint64_t admin_unauthorized = 0;
  std::uint64_t admin_tls_handshake_failures = 0;
  std::vector<RequestCounts::Row> requests;
  std::vector<std::pair<std::string_view, std::uint64_t>> stored_by_event;  // label, count
  HistogramSnapshot commit_micros;
  HistogramSnapshot batch_size;
};

}  // namespace chronohook

#include "chronohook/counters.hpp"

#include "chronohook/event_names.hpp"

namespace chronohook {

static_assert(kEventMetricLabels + 1 == 29, "Counters::stored_by_event_ has one slot per label and one for other");

namespace {

// Status code -> column of RequestCounts, by table: no search per request.
constexpr int kMaxStatus = 600;
constexpr std::array<std::uint8_t, kMaxStatus> status_columns() {
  std::array<std::uint8_t, kMaxStatus> out{};
  for (auto& c : out) c = static_cast<std::uint8_t>(kCountedStatuses.size());  // other
  for (std::size_t i = 0; i < kCountedStatuses.size(); ++i) out[kCountedStatuses[i]] = static_cast<std::uint8_t>(i);
  return out;
}
constexpr auto kStatusColumns = status_columns();

}  // namespace

void RequestCounts::register_webhooks(const std::vector<std::string>& names) {
  if (ready_.load(std::memory_order_acquire)) return;
  names_ = names;
  const std::size_t cells = (names_.size() + 1) * kColumns;
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(cells);
  for (std::size_t i = 0; i < cells; ++i) counts_[i].store(0, std::memory_order_relaxed);
  ready_.store(true, std::memory_order_release);
}

void RequestCounts::count(std::string_view webhook, int status) {
  if (!ready_.load(std::memory_order_acquire)) return;
  std::size_t row = 0;
  while (row < names_.size() && names_[row] != webhook) ++row;  // names_.size(): no webhook
  const std::size_t column = status >= 0 && status < kMaxStatus ? kStatusColumns[static_cast<std::size_t>(status)]
                                                                 : kCountedStatuses.size();
  counts_[row * kColumns + column].fetch_add(1, std::memory_order_relaxed);
}

std::vector<RequestCounts::Row> RequestCounts::snapshot() const {
  std::vector<Row> rows;
  if (!ready_.load(std::memory_order_acquire)) return rows;
  for (std::size_t r = 0; r <= names_.size(); ++r) {
    for (std::size_t c = 0; c < kColumns; ++c) {
      const std::uint64_t v = counts_[r * kColumns + c].load(std::memory_order_relaxed);
      if (v == 0) continue;  // only what happened: the label set stays small
      rows.push_back(Row{r < names_.size() ? names_[r] : std::string(),
                         c < kCountedStatuses.size() ? std::to_string(kCountedStatuses[c]) : "other", v});
    }
  }
  return rows;
}

bool Counters::count_stored(std::string_view event) {
  const std::size_t index = event_metric_index(event);
  stored_by_event_[index].fetch_add(1, std::memory_order_relaxed);
  return index < kEventMetricLabels;
}

bool Counters::note_unknown_event(std::string_view name) {
  unknown_events.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(unknown_mutex_);
  if (unknown_names_.size() >= kMaxDistinctUnknown || unknown_names_.find(name) != unknown_names_.end()) {
    return false;
  }
  unknown_names_.emplace(name);
  return true;
}

CountersSnapshot Counters::snapshot() const {
  const auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  CountersSnapshot s;
  s.hooks_stored = get(hooks_stored);
  s.hooks_duplicate = get(hooks_duplicate);
  s.hooks_conflicting = get(hooks_conflicting);
  s.hooks_failed = get(hooks_failed);
  s.hooks_overloaded = get(hooks_overloaded);
  s.unauthorized = get(unauthorized);
  s.bad_requests = get(bad_requests);
  s.verifications = get(verifications);
  s.verification_requests = get(verification_requests);
  s.verification_disabled = get(verification_disabled);
  s.verification_invalid = get(verification_invalid);
  s.verification_rate_limited = get(verification_rate_limited);
  s.connections_open = get(connections_open);
  s.tls_handshake_failures = get(tls_handshake_failures);
  s.connections_evicted = get(connections_evicted);
  s.connections_refused_source = get(connections_refused_source);
  s.admin_unauthorized = get(admin_unauthorized);
  s.admin_tls_handshake_failures = get(admin_tls_handshake_failures);
  s.requests = requests_by_status.snapshot();
  for (std::size_t i = 0; i < stored_by_event_.size(); ++i) {
    s.stored_by_event.emplace_back(event_metric_label(i), get(stored_by_event_[i]));
  }
  s.commit_micros = commit_micros.snapshot();
  s.batch_size = batch_size.snapshot();
  return s;
}

}  // namespace chronohook

#include "connection_registry.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace chronohook::net {

SourceKey source_key(const boost::asio::ip::address& address) {
  // IPv4 in its IPv4-mapped form, so 192.0.2.1 and ::ffff:192.0.2.1 are one source.
  const auto v6 =
      address.is_v4() ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4()) : address.to_v6();
  SourceKey key = v6.to_bytes();
  // One host usually owns a whole /64; counting addresses would let it pick
  // a fresh one per connection.
  if (!v6.is_v4_mapped()) std::fill(key.begin() + 8, key.end(), 0);
  return key;
}

std::optional<std::uint64_t> ConnectionRegistry::add(const SourceKey& source) {
  std::lock_guard lock(mutex_);
  std::size_t& from_source = per_source_[source];
  if (per_source_cap_ != 0 && from_source >= per_source_cap_) return std::nullopt;
  ++from_source;
  sessions_.emplace(++next_id_, Entry{source, nullptr, {}});
  return next_id_;
}

void ConnectionRegistry::attach(std::uint64_t id, const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end()) {
    it->second.raw = session.get();
    it->second.session = session;
  }
}

void ConnectionRegistry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  if (auto src = per_source_.find(it->second.source); src != per_source_.end() && --src->second == 0) {
    per_source_.erase(src);
  }
  sessions_.erase(it);
}

std::size_t ConnectionRegistry::count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::size_t ConnectionRegistry::count_from(const SourceKey& source) const {
  std::lock_guard lock(mutex_);
  auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

void ConnectionRegistry::drain_all() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(mutex_);
    live.reserve(sessions_.size());
    for (auto& [id, entry] : sessions_) {
      if (auto s = entry.session.lock()) live.push_back(std::move(s));
    }
  }
  // Outside the lock: the last reference may go here, and ~Session calls remove().
  for (auto& s : live) s->drain();
}

bool ConnectionRegistry::evict_longest_idle() {
  std::shared_ptr<SessionBase> victim;
  {
    std::lock_guard lock(mutex_);
    std::optional<std::chrono::steady_clock::time_point> oldest;
    const Entry* pick = nullptr;
    for (const auto& [id, entry] : sessions_) {
      if (entry.raw == nullptr) continue;
      const auto since = entry.raw->idle_since();
      if (since && (!oldest || *since < *oldest)) {
        oldest = since;
        pick = &entry;
      }
    }
    if (pick != nullptr) victim = pick->session.lock();
  }
  if (!victim) return false;
  victim->evict();
  return true;
}

}  // namespace chronohook::net

// Who is connected, from where, and who could make room. Private to src/net.
//
// The listener asks it two questions: may one more connection from this
// source be accepted (max_connections_per_source), and, at max_connections
// with a connection waiting, which session has been idle longest (it is
// evicted). Sessions only publish whether they are idle; the registry never
// touches a stream.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "chronohook/source_key.hpp"

namespace chronohook::net {

// What the registry knows of a session.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Finish the request in flight, if any, then close. Any thread.
  virtual void drain() = 0;
  // Close gracefully if the session is still idle when this reaches its
  // strand; a session that started a request meanwhile ignores it. Any thread.
  virtual void evict() = 0;

  // Since when (steady clock) the session may be evicted, or nullopt while it
  // reads a request after the first, stores a hook or writes an answer.
  std::optional<std::chrono::steady_clock::time_point> idle_since() const {
    const std::int64_t t = idle_since_.load(std::memory_order_relaxed);
    if (t == kBusy) return std::nullopt;
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(t));
  }

 protected:
  // Set on the session's strand only; read by the registry from any thread.
  void mark_idle(std::chrono::steady_clock::time_point since) {
    idle_since_.store(since.time_since_epoch().count(), std::memory_order_relaxed);
  }
  void mark_busy() { idle_since_.store(kBusy, std::memory_order_relaxed); }

 private:
  static constexpr std::int64_t kBusy = INT64_MAX;
  std::atomic<std::int64_t> idle_since_{kBusy};
};

// Who is on the other end of a connection.
struct Peer {
  std::string text;  // "192.0.2.7:51234", for log lines
  SourceKey source;  // for per-source limits
  std::uint64_t id;  // the connection's entry in state->connections
};

// A connection's source as the per-source cap counts it (the rule is in
// chronohook/source_key.hpp).
SourceKey source_key(const boost::asio::ip::address& address);

class ConnectionRegistry {
 public:
  // `per_source_cap` 0 means no cap.
  explicit ConnectionRegistry(std::size_t per_source_cap) : per_source_cap_(per_source_cap) {}

  // Counts a new connection from `source`; nullopt when that source already
  // has per_source_cap connections (the caller closes the socket).
  std::optional<std::uint64_t> add(const SourceKey& source);
  // The session behind an id add() gave; until then it cannot be drained or evicted.
  void attach(std::uint64_t id, const std::shared_ptr<SessionBase>& session);
  void remove(std::uint64_t id);

  std::size_t count() const;
  std::size_t per_source_cap() const { return per_source_cap_; }
  std::size_t count_from(const SourceKey& source) const;

  // Asks every session to drain.
  void drain_all();

  // Asks the session idle longest to close. False when none is idle.
  bool evict_longest_idle();

 private:
  struct Entry {
    SourceKey source{};
    SessionBase* raw = nullptr;  // alive while its entry is here: ~Session removes it under mutex_
    std::weak_ptr<SessionBase> session;
  };

  const std::size_t per_source_cap_;
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Entry> sessions_;
  std::unordered_map<SourceKey, std::size_t, SourceKeyHash> per_source_;
  std::uint64_t next_id_ = 0;
};

}  // namespace chronohook::net

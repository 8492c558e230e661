// What every session of one listener shares. Private to src/net.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "chronohook/counters.hpp"
#include "chronohook/event_store.hpp"
#include "chronohook/handler.hpp"
#include "chronohook/server.hpp"

namespace chronohook::net {

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Finish the request in flight, if any, then close. Any thread.
  virtual void drain() = 0;
};

struct SharedState {
  SharedState(const webhook::Handler& h, EventStore& s, std::shared_ptr<Counters> c, SessionSettings st)
      : handler(h), store(s), counters(std::move(c)), settings(st) {}

  const webhook::Handler& handler;
  EventStore& store;
  std::shared_ptr<Counters> counters;
  SessionSettings settings;
  std::atomic<bool> draining{false};

  // Sessions register so a drain can reach the idle ones.
  std::uint64_t add(std::weak_ptr<SessionBase> session) {
    std::lock_guard lock(mutex);
    sessions.emplace(++next_id, std::move(session));
    return next_id;
  }
  void remove(std::uint64_t id) {
    std::function<void()> notify;
    {
      std::lock_guard lock(mutex);
      sessions.erase(id);
      notify = on_session_closed;
    }
    if (notify) notify();
  }
  void drain_all() {
    std::map<std::uint64_t, std::weak_ptr<SessionBase>> copy;
    {
      std::lock_guard lock(mutex);
      copy = sessions;
    }
    for (auto& [id, weak] : copy) {
      if (auto s = weak.lock()) s->drain();
    }
  }
  std::size_t count() const {
    std::lock_guard lock(mutex);
    return sessions.size();
  }

  mutable std::mutex mutex;
  std::map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::uint64_t next_id = 0;
  std::function<void()> on_session_closed;  // set by the listener
};

}  // namespace chronohook::net

// What every session of one listener shares. Private to src/net.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "chronohook/counters.hpp"
#include "chronohook/event_store.hpp"
#include "chronohook/handler.hpp"
#include "chronohook/published.hpp"
#include "chronohook/server.hpp"
#include "connection_registry.hpp"

namespace chronohook::net {

struct SharedState {
  SharedState(std::shared_ptr<const webhook::Handler> h, EventStore& s, std::shared_ptr<Counters> c, SessionSettings st,
              std::size_t max_connections_per_source)
      : handler(std::move(h)),
        store(s),
        counters(std::move(c)),
        settings(st),
        connections(max_connections_per_source) {}

  // Replaced by a reload; each session refreshes its copy once per request.
  Published<const webhook::Handler> handler;
  EventStore& store;
  std::shared_ptr<Counters> counters;
  SessionSettings settings;
  std::atomic<bool> draining{false};
  // Every open connection, so a drain can reach the idle ones, the
  // per-source cap can count them and the cap can evict one.
  ConnectionRegistry connections;

  // Called by ~Session: forgets it and tells the listener a slot is free.
  void remove(std::uint64_t id) {
    connections.remove(id);
    std::function<void()> notify;
    {
      std::lock_guard lock(mutex);
      notify = on_session_closed;
    }
    if (notify) notify();
  }

  std::mutex mutex;
  std::function<void()> on_session_closed;  // set by the listener
};

}  // namespace chronohook::net

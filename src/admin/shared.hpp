// What every session of the admin listener shares. Private to src/admin.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "admin/commit_waiters.hpp"
#include "admin/handler.hpp"
#include "admin/reader_pool.hpp"
#include "chronohook/counters.hpp"
#include "chronohook/event_store.hpp"

namespace chronohook::admin {

struct SessionSettings {
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds header_timeout{10'000};  // a whole request, the first on a connection
  std::chrono::milliseconds idle_timeout{60'000};    // a later request, first byte included
  std::chrono::milliseconds write_timeout{10'000};
};

// What the listener may ask of a session.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Answer a long-poll now, finish the request in flight, then close. Any thread.
  virtual void drain() = 0;
};

struct Shared {
  Shared(const Handler& h, EventStore& s, ReaderPool& r, CommitWaiters& w, SessionSettings st)
      : handler(h), store(s), readers(r), waiters(w), settings(st) {}

  const Handler& handler;
  EventStore& store;
  ReaderPool& readers;
  CommitWaiters& waiters;
  SessionSettings settings;
  std::atomic<bool> draining{false};
  // For /readyz and /metrics (status.cpp); webhook_listening is set by
  // serve once the webhook listener accepts.
  std::atomic<bool> webhook_listening{false};
  std::size_t queue_capacity = 0;
  std::shared_ptr<Counters> counters;  // never null
  std::filesystem::path database;

  std::uint64_t add(const std::shared_ptr<SessionBase>& session) {
    std::lock_guard lock(mutex);
    sessions.emplace(++next_id, session);
    return next_id;
  }
  // Called by ~Session: forgets it and tells the listener a slot is free.
  void remove(std::uint64_t id) {
    std::function<void()> notify;
    {
      std::lock_guard lock(mutex);
      sessions.erase(id);
      notify = on_session_closed;
    }
    if (notify) notify();
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return sessions.size();
  }
  void drain_all() {
    std::vector<std::shared_ptr<SessionBase>> all;
    {
      std::lock_guard lock(mutex);
      for (auto& [id, weak] : sessions) {
        if (auto s = weak.lock()) all.push_back(std::move(s));
      }
    }
    for (auto& s : all) s->drain();
  }

  std::mutex mutex;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::function<void()> on_session_closed;  // set by the listener
};

}  // namespace chronohook::admin

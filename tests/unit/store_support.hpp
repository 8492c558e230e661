// Helpers shared by the EventStore unit tests: records as the handler builds
// them, a store config in a temporary directory, a bounded wait for an
// outcome, and another connection's write lock.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "chronohook/config.hpp"
#include "chronohook/crypto.hpp"
#include "chronohook/event_store.hpp"
#include "chronohook/sqlite.hpp"
#include "unit/temp_dir.hpp"

namespace chronohook::unit {

using namespace std::chrono_literals;

inline EventRecord record(std::string delivery, std::string event = "APPOINTMENT_CREATE") {
  EventRecord r;
  r.webhook = "main";
  r.delivery_id = std::move(delivery);
  r.event = std::move(event);
  r.received_at = "2026-11-29T10:00:00.000Z";
  r.payload = R"({"object":{"id":1,"patient":2}})";
  r.payload_sha256 = crypto::sha256(r.payload);
  r.object_id = "1";
  r.patient_id = "2";
  return r;
}

// The same delivery id with another body, as the handler would build it.
inline EventRecord with_body(EventRecord r, std::string body) {
  r.payload = std::move(body);
  r.payload_sha256 = crypto::sha256(r.payload);
  return r;
}

inline StorageConfig config_in(const TempDir& dir) {
  StorageConfig c;
  c.path = dir / "data" / "events.db";
  c.busy_timeout = 5000ms;
  return c;
}

// Submits and waits for the outcome (bounded).
inline AppendOutcome append(EventStore& store, EventRecord r) {
  auto promise = std::make_shared<std::promise<AppendOutcome>>();
  auto future = promise->get_future();
  store.submit(std::move(r), [promise](AppendOutcome o) { promise->set_value(std::move(o)); });
  if (future.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "the store did not complete within 10 s";
    return {};
  }
  return future.get();
}

inline std::int64_t scalar(const std::filesystem::path& db_path, const std::string& sql) {
  auto db = sqlite::Database::open(db_path, sqlite::Database::Mode::kReadOnly);
  EXPECT_TRUE(db.ok());
  auto stmt = db->prepare(sql);
  EXPECT_TRUE(stmt.ok()) << (stmt.ok() ? "" : stmt.error().message);
  auto step = stmt->step();
  EXPECT_TRUE(step.ok());
  return stmt->column_int(0);
}

// Holds the database's write lock from another connection until released.
class WriteLock {
 public:
  explicit WriteLock(const std::filesystem::path& path)
      : db_(std::move(sqlite::Database::open(path, sqlite::Database::Mode::kReadWrite)).value()) {
    EXPECT_TRUE(db_.exec("BEGIN EXCLUSIVE").ok());
  }
  void release() {
    if (held_) {
      EXPECT_TRUE(db_.exec("COMMIT").ok());
    }
    held_ = false;
  }
  ~WriteLock() { release(); }

 private:
  sqlite::Database db_;
  bool held_ = true;
};

}  // namespace chronohook::unit

// One authenticated hook on its way to the store, and what the store says of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace chronohook {

struct EventRecord {
  std::string webhook;      // the [[webhook]] name
  std::string delivery_id;  // X-drchrono-delivery, validated
  std::string event;        // X-drchrono-event, validated, as received
  std::string received_at;  // UTC RFC 3339 with milliseconds
  std::string payload;      // the body exactly as received (a JSON object)
  std::optional<std::string> object_id;
  std::optional<std::string> patient_id;
  std::optional<std::string> practice_group_id;
};

struct AppendOutcome {
  enum class Kind {
    kStored,      // committed for the first time
    kDuplicate,   // this webhook already holds this delivery id; attempts counted
    kFailed,      // not committed (database error); the sender must retry
    kOverloaded,  // not queued: the writer's queue is full; the sender must retry
  };
  Kind kind = Kind::kFailed;
  std::int64_t seq = 0;       // the row's seq when stored or duplicate
  std::int64_t attempts = 0;  // deliveries seen for this id, when stored or duplicate
  std::string error;          // for logs, when failed; never holds payload bytes

  bool committed() const { return kind == Kind::kStored || kind == Kind::kDuplicate; }
};

}  // namespace chronohook

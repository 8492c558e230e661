// One authenticated hook on its way to the store, and what the store says of it.
#pragma once

#include <array>
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
  // SHA-256 of payload, computed by the handler on the I/O thread so the
  // single writer never hashes: it tells a repeat from a conflicting body.
  std::array<std::uint8_t, 32> payload_sha256{};
  std::optional<std::string> object_id;
  std::optional<std::string> patient_id;
  std::optional<std::string> practice_group_id;
};

struct AppendOutcome {
  enum class Kind {
    kStored,      // committed as a new row (conflicts_with says whether the id was seen)
    kDuplicate,   // this webhook holds this delivery id with this event and body; attempts counted
    kFailed,      // not committed (database error); the sender must retry
    kOverloaded,  // not queued: the writer's queue is full; the sender must retry
  };
  Kind kind = Kind::kFailed;
  std::int64_t seq = 0;       // the row's seq when stored or duplicate
  std::int64_t attempts = 0;  // deliveries seen for this id, when stored or duplicate
  std::string error;          // for logs, when failed; never holds payload bytes
  // When stored: the seq of the first row with this (webhook, delivery_id),
  // whose event or body differ from this one's. Unset for an id first seen.
  std::optional<std::int64_t> conflicts_with;

  bool committed() const { return kind == Kind::kStored || kind == Kind::kDuplicate; }
};

}  // namespace chronohook

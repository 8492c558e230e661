// What drchrono sends, synthesized: signed hook requests, fresh delivery ids,
// payloads about obviously fake people, and the verification HMAC computed
// independently of the daemon (OpenSSL's one-shot HMAC()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/http_client.hpp"

namespace chronohook::testing {

// A delivery id no other hook in this test binary has used.
std::string fresh_delivery_id();

// A random lowercase hex string of `bytes` random bytes (markers, secrets).
std::string random_hex(std::size_t bytes);

// A plausible body for `event`: {"receiver": {...}, "object": {...},
// "practice_group_id": 7001}, with object.id = `object_id` and object.patient
// set for non-patient events. Names are obviously synthetic
// ("Test Patient-0001"). `extra` (a JSON string value) lands in object.note.
std::string synthetic_payload(std::string_view event, std::int64_t object_id, std::string_view extra = "");

// A POST the daemon must accept: signature = `secret`, the event, a fresh
// delivery id (or `delivery` when given) and `body` (or a synthetic payload).
Request signed_hook(std::string_view secret, std::string_view event = "APPOINTMENT_CREATE", std::string_view body = "",
                    std::string_view delivery = "", std::string_view path = "/webhook");

// The delivery id of a request made by signed_hook (its X-drchrono-delivery).
std::string delivery_of(const Request& request);

// A verification GET for `path` with the query string given verbatim.
Request verification_get(std::string_view raw_query, std::string_view path = "/webhook");

// hex(HMAC-SHA256(key, message)), lowercase: what drchrono compares against.
std::string expected_hmac_hex(std::string_view key, std::string_view message);

// The current UTC time as the daemon writes received_at
// ("2026-11-29T06:57:22.123Z"): such strings order like the times they name.
std::string utc_now_millis();

// JSON helpers over response bodies (nlohmann stays out of the test files).
std::optional<std::string> json_string_field(std::string_view body, std::string_view key);
std::optional<std::int64_t> json_int_field(std::string_view body, std::string_view key);
// True when `body` is exactly {"error": "<non-empty string>"}.
bool is_error_body(std::string_view body);

}  // namespace chronohook::testing

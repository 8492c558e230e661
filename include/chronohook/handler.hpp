// The protocol as a pure function of the request. The session layer hands it
// what it read; it answers what to send, or what to store. No sockets, no
// threads, no clock but the one it is given.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "chronohook/config.hpp"
#include "chronohook/counters.hpp"
#include "chronohook/event_record.hpp"
#include "chronohook/rate_limiter.hpp"
#include "chronohook/source_key.hpp"
#include "chronohook/source_limiter.hpp"

namespace chronohook::webhook {

using Clock = std::chrono::system_clock;

// What the session knows once the request header is in.
struct RequestHead {
  std::string_view method;                    // "GET", "POST", ...
  std::string_view target;                    // origin-form: path and optional "?query"
  std::optional<std::string_view> event;      // X-drchrono-event
  std::optional<std::string_view> signature;  // X-drchrono-signature
  std::optional<std::string_view> delivery;   // X-drchrono-delivery
  std::string_view repeated_header;           // a protocol header sent more than once
  std::optional<std::uint64_t> content_length;
  SourceKey source{};     // the connection's, as net::source_key() computed it at accept
  bool has_body = false;  // Content-Length > 0 or chunked
  Clock::time_point received{};
};

// An answer to send. The session adds framing headers (Content-Length,
// Connection); everything the protocol decides is here.
struct Reply {
  int status = 500;
  std::string body;  // JSON
  std::optional<int> retry_after_seconds;
  bool allow_get_post = false;  // add "Allow: GET, POST" (405)
  bool no_store = false;        // add "Cache-Control: no-store"

  // Facts for the access log line; never payload bytes or secrets. The views
  // point into the handler's routes and the request head: the session keeps
  // the request alive until the line is written.
  std::string_view webhook;
  std::string_view event;            // set only when well-formed
  std::string_view delivery;         // set only when well-formed
  bool first_unknown_event = false;  // log this event name once
};

// The header passed every check: read the body, then call on_body.
struct ReadBody {
  std::size_t webhook_index = 0;
};

// The body passed every check: store this, then answer reply_for(outcome).
struct Store {
  EventRecord record;
};

struct Limits {
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_msg_bytes = 1024;
  std::size_t max_json_depth = 64;
  unsigned verify_rate_per_minute_per_source = 10;
  std::size_t verify_sources_tracked = 4096;  // the per-source table's bound
};

// One webhook as the handler sees it.
struct Route {
  std::string name;
  std::string path;
  Secret secret;                 // current: answers verification
  std::vector<Secret> accepted;  // current + previous: authenticate POSTs
  bool verify = true;
};

class Handler {
 public:
  Handler(const Config& config, std::shared_ptr<Counters> counters);
  Handler(std::vector<Route> routes, Limits limits, unsigned verify_rate_per_minute,
          std::shared_ptr<Counters> counters);
  // For a reload: `previous`'s webhooks, limits and counters with new
  // credentials. `routes` must name the same paths in the same order (only
  // secret, accepted and verify may differ); the verification budgets carry
  // over, so reloading does not refill them.
  Handler(const Handler& previous, std::vector<Route> routes);

  // Everything that can be decided from the header alone: unknown path,
  // method, verification GET, authentication, event and delivery headers,
  // declared size. Rejecting here means the body is never read.
  std::variant<Reply, ReadBody> on_head(const RequestHead& head) const;

  // Checks the body and builds the record to store.
  std::variant<Reply, Store> on_body(const RequestHead& head, const ReadBody& accepted, std::string body) const;

  // The answer once the store has spoken. Only a commit earns a 200.
  Reply reply_for(const RequestHead& head, const ReadBody& accepted, const AppendOutcome& outcome) const;

  // The answer when the body turned out larger than max_body_bytes while it
  // was read (a chunked body declares no length).
  Reply body_too_large(const RequestHead& head, const ReadBody& accepted) const;

  // The answer when the body after an accepted head could not be parsed (a
  // malformed chunk): 400, so the sender learns why instead of seeing a reset.
  Reply malformed_body(const RequestHead& head, const ReadBody& accepted) const;

  const std::vector<Route>& routes() const { return routes_; }
  const Limits& limits() const { return limits_; }

 private:
  Reply verification(const Route& route, std::size_t index, std::string_view query, const RequestHead& head) const;

  std::vector<Route> routes_;
  struct PathHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::size_t, PathHash, std::equal_to<>> by_path_;
  Limits limits_;
  std::shared_ptr<Counters> counters_;
  // Per webhook: one budget, and within it one per source. Shared with the
  // handler a reload builds from this one (both are thread-safe).
  std::vector<std::shared_ptr<RateLimiter>> verify_limiters_;
  std::vector<std::shared_ptr<SourceRateLimiter>> verify_by_source_;
};

// "2026-11-29T06:57:22.123Z"
std::string rfc3339_millis(Clock::time_point t);

// {"error":"<message>"} with the message JSON-escaped.
std::string error_body(std::string_view message);

}  // namespace chronohook::webhook

// The pull API as a pure function of the request: who is asking (Bearer
// token), what (endpoint and parameters), and whether they may. It answers
// with a Reply, or with the read or write to do; once that is done it turns
// the result into the Reply. No sockets, no threads, no clock, no database.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "admin/health.hpp"
#include "admin/metrics_text.hpp"
#include "chronohook/config.hpp"
#include "chronohook/event_reader.hpp"
#include "chronohook/secret.hpp"

namespace chronohook::admin {

inline constexpr std::size_t kDefaultLimit = 100;
inline constexpr std::size_t kMaxLimit = 1000;
inline constexpr std::chrono::seconds kMaxWait{60};
inline constexpr std::size_t kMaxBodyBytes = 4096;

// What the session read.
struct Request {
  std::string_view method;
  std::string_view target;  // path and optional "?query"
  std::optional<std::string_view> authorization;
  std::string_view body;
};

// Which endpoint, for the audit line: a fixed pattern, never the request's text.
enum class Endpoint { kNone, kEvents, kEvent, kCursorGet, kCursorPut, kNext, kHealth, kReady, kMetrics };
const char* to_string(Endpoint e);

struct Reply {
  int status = 500;
  std::string body;  // JSON, unless content_type says otherwise
  std::string_view content_type = "application/json";
  std::optional<int> retry_after_seconds;
  bool allow_get = false;         // "Allow: GET" (405)
  bool allow_get_put = false;     // "Allow: GET, PUT" (405)
  bool www_authenticate = false;  // 401: `WWW-Authenticate: Bearer`

  // For the audit line: never a payload byte or a token.
  std::string_view consumer;  // points into the handler's consumers
  Endpoint endpoint = Endpoint::kNone;
  std::size_t events = 0;
  std::int64_t first_seq = 0;
  std::int64_t last_seq = 0;
};

// GET /v1/events and GET /v1/consumers/{name}/next: a page of events.
struct ListEvents {
  std::size_t consumer = 0;
  Endpoint endpoint = Endpoint::kEvents;
  EventFilter filter;
  // next: start after the consumer's cursor (read with the page), not filter.after.
  bool after_cursor = false;
  std::chrono::seconds wait{0};  // long-poll: answer when a matching event commits, or after this
};

// GET /v1/events/{seq}
struct GetEvent {
  std::size_t consumer = 0;
  std::int64_t seq = 0;
};

// GET /v1/consumers/{name}/cursor
struct GetCursor {
  std::size_t consumer = 0;
};

// PUT /v1/consumers/{name}/cursor: runs as a writer task (see cursor_task.hpp).
struct PutCursor {
  std::size_t consumer = 0;
  std::int64_t seq = 0;
  bool rewind = false;
};

// GET /healthz, /readyz, /metrics: the session takes a snapshot of the
// daemon's state (status.cpp) and hands it to health(), readiness() or
// metrics(). No consumer token: these are for operators and orchestrators.
struct Probe {
  Endpoint endpoint = Endpoint::kHealth;  // kHealth, kReady or kMetrics
};

using Decision = std::variant<Reply, ListEvents, GetEvent, GetCursor, PutCursor, Probe>;

// What a cursor write came to.
struct CursorWrite {
  enum class Kind { kWritten, kBackwards, kPastEnd, kFailed };
  Kind kind = Kind::kFailed;
  std::int64_t current = 0;  // the stored cursor (kBackwards), or the newest seq ever stored (kPastEnd)
  std::string error;         // kFailed: the store's reason, for the log only
};

struct Consumer {
  std::string name;
  Secret token;
};

class Handler {
 public:
  explicit Handler(const std::vector<ConsumerConfig>& consumers);
  // `metrics_token`, when set, is what GET /metrics requires as Bearer.
  explicit Handler(std::vector<Consumer> consumers, std::optional<Secret> metrics_token = std::nullopt);
  // The consumers and [admin] metrics_token_file of a configuration.
  explicit Handler(const Config& config);

  // /healthz, /readyz and /metrics first (no consumer token; /metrics
  // takes the metrics token when one is configured). Then, for the API:
  // authentication first (401 for anything without a valid token, so a
  // stranger learns nothing about the routes), then route (404, 405),
  // ownership (403), parameters (400).
  Decision decide(const Request& request) const;

  // Answers once the work is done. `cursor` is the consumer's cursor as the
  // page was read (next) .
  Reply page(const ListEvents& list, const std::vector<StoredEvent>& events, std::int64_t after) const;
  Reply event(const GetEvent& get, const std::optional<StoredEvent>& found) const;
  Reply cursor(const GetCursor& get, std::int64_t seq) const;
  Reply cursor_written(const PutCursor& put, const CursorWrite& outcome) const;
  // The database could not be read (a reader failed): 503, retry.
  Reply read_failed(std::size_t consumer, Endpoint endpoint) const;
  // Every reader busy and the queue full: 503 + Retry-After.
  Reply busy(std::size_t consumer, Endpoint endpoint) const;
  // Request bigger than kMaxBodyBytes, or not parseable as HTTP.
  static Reply too_large();
  static Reply malformed();

  // The event loop answered: 200.
  static Reply health();
  // 200 when nothing in `health` stands in the way of storing hooks; 503 with
  // every reason otherwise.
  static Reply readiness(const Health& health);
  // The Prometheus text of `snapshot`.
  static Reply metrics(const MetricsSnapshot& snapshot);

  const std::vector<Consumer>& consumers() const { return consumers_; }

 private:
  std::optional<std::size_t> authenticate(std::optional<std::string_view> authorization) const;
  Reply with(std::size_t consumer, Endpoint endpoint, Reply r) const;
  std::optional<Decision> operator_route(const Request& request) const;

  std::vector<Consumer> consumers_;
  std::optional<Secret> metrics_token_;
};

// {"error":"<message>"}
std::string error_body(std::string_view message);

}  // namespace chronohook::admin

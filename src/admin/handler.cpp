// The pull API's decisions. Messages name the parameter and what it takes,
// never echo a value: a query string is the caller's text.
#include "admin/handler.hpp"

#include <openssl/crypto.h>

#include <charconv>
#include <utility>

#include <nlohmann/json.hpp>

#include "admin/query_params.hpp"
#include "chronohook/crypto.hpp"

namespace chronohook::admin {
namespace {

Reply error(int status, std::string_view message) {
  Reply r;
  r.status = status;
  r.body = error_body(message);
  return r;
}

std::vector<Consumer> from_config(const std::vector<ConsumerConfig>& consumers) {
  std::vector<Consumer> out;
  out.reserve(consumers.size());
  for (const ConsumerConfig& c : consumers) out.push_back(Consumer{c.name, c.token});
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// "/v1/consumers/billing/cursor" -> {"v1", "consumers", "billing", "cursor"}.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

std::optional<std::int64_t> parse_seq(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

Reply method_not_allowed(bool put_too) {
  Reply r = error(405, put_too ? "this endpoint takes GET or PUT" : "this endpoint takes GET");
  (put_too ? r.allow_get_put : r.allow_get) = true;
  return r;
}

// {"seq": N} with N a non-negative integer, and nothing else.
std::optional<std::int64_t> cursor_body(std::string_view body) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.size() != 1 || !doc.contains("seq")) return std::nullopt;
  const nlohmann::json& seq = doc["seq"];
  if (seq.is_number_unsigned()) {
    const auto v = seq.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (seq.is_number_integer() && seq.get<std::int64_t>() >= 0) return seq.get<std::int64_t>();
  return std::nullopt;
}

// The SHA-256 of the token in "Authorization: Bearer <token>", or nullopt
// when the header is absent or not Bearer. Tokens are compared as digests,
// so the time taken does not depend on the token's length.
std::optional<crypto::Digest> presented_digest(std::optional<std::string_view> authorization) {
  if (!authorization) return std::nullopt;
  std::string_view value = *authorization;
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme)) return std::nullopt;
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return crypto::sha256(value);
}

Reply unauthorized() {
  Reply r = error(401, "a valid token is required: send \"Authorization: Bearer <token>\"");
  r.www_authenticate = true;
  return r;
}

}  // namespace

const char* to_string(Endpoint e) {
  switch (e) {
    case Endpoint::kEvents:
      return "GET /v1/events";
    case Endpoint::kEvent:
      return "GET /v1/events/{seq}";
    case Endpoint::kCursorGet:
      return "GET /v1/consumers/{name}/cursor";
    case Endpoint::kCursorPut:
      return "PUT /v1/consumers/{name}/cursor";
    case Endpoint::kNext:
      return "GET /v1/consumers/{name}/next";
    case Endpoint::kHealth:
      return "GET /healthz";
    case Endpoint::kReady:
      return "GET /readyz";
    case Endpoint::kMetrics:
      return "GET /metrics";
    case Endpoint::kNone:
      break;
  }
  return "-";
}

std::string error_body(std::string_view message) {
  return nlohmann::json{{"error", message}}.dump();
}

Handler::Handler(const std::vector<ConsumerConfig>& consumers) : Handler(from_config(consumers)) {}
Handler::Handler(std::vector<Consumer> consumers, std::optional<Secret> metrics_token)
    : consumers_(std::move(consumers)), metrics_token_(std::move(metrics_token)) {}
Handler::Handler(const Config& config) : Handler(from_config(config.consumers), config.admin.metrics_token) {}

// Looks at every consumer whatever matches, comparing SHA-256 digests with
// CRYPTO_memcmp: neither the token's length nor its content nor which
// consumer it belongs to shows in the time taken.
std::optional<std::size_t> Handler::authenticate(std::optional<std::string_view> authorization) const {
  const auto digest = presented_digest(authorization);
  if (!digest) return std::nullopt;
  const crypto::Digest& presented = *digest;
  std::size_t found = consumers_.size();
  for (std::size_t i = 0; i < consumers_.size(); ++i) {
    const bool equal = CRYPTO_memcmp(presented.data(), consumers_[i].token.digest().data(), presented.size()) == 0;
    found = equal ? i : found;
  }
  if (found == consumers_.size()) return std::nullopt;
  return found;
}

Reply Handler::with(std::size_t consumer, Endpoint endpoint, Reply r) const {
  if (consumer < consumers_.size()) r.consumer = consumers_[consumer].name;
  r.endpoint = endpoint;
  return r;
}

// /healthz, /readyz and /metrics, or nullopt for any other path.
std::optional<Decision> Handler::operator_route(const Request& request) const {
  const std::string_view path = request.target.substr(0, request.target.find('?'));
  Endpoint endpoint = Endpoint::kNone;
  if (path == "/healthz") endpoint = Endpoint::kHealth;
  if (path == "/readyz") endpoint = Endpoint::kReady;
  if (path == "/metrics") endpoint = Endpoint::kMetrics;
  if (endpoint == Endpoint::kNone) return std::nullopt;
  if (request.method != "GET") return with(consumers_.size(), endpoint, method_not_allowed(false));
  if (endpoint == Endpoint::kMetrics && metrics_token_) {
    const auto presented = presented_digest(request.authorization);
    if (!presented ||
        CRYPTO_memcmp(presented->data(), metrics_token_->digest().data(), presented->size()) != 0) {
      return with(consumers_.size(), endpoint, unauthorized());
    }
  }
  return Probe{endpoint};
}

Decision Handler::decide(const Request& request) const {
  if (auto probe = operator_route(request)) return std::move(*probe);
  const auto who = authenticate(request.authorization);
  if (!who) return unauthorized();
  const std::size_t consumer = *who;
  const std::string_view target = request.target;
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
  const std::vector<std::string_view> parts = segments(path);
  const bool get = request.method == "GET";
  const auto not_found = [&] { return with(consumer, Endpoint::kNone, error(404, "no such endpoint")); };

  if (parts.size() < 2 || parts[0] != "v1") return not_found();
  if (parts[1] == "events" && parts.size() <= 3) {
    const Endpoint endpoint = parts.size() == 2 ? Endpoint::kEvents : Endpoint::kEvent;
    if (!get) return with(consumer, endpoint, method_not_allowed(false));
    if (endpoint == Endpoint::kEvent) {
      auto seq = parse_seq(parts[2]);
      if (!seq) return with(consumer, endpoint, error(400, "seq in /v1/events/{seq} must be a non-negative integer"));
      auto params = parse_query(query, {});
      if (!params) return with(consumer, endpoint, error(400, params.error().message));
      return GetEvent{consumer, *seq};
    }
    auto params = parse_query(query, {"after", "limit", "event", "patient", "wait"});
    if (!params) return with(consumer, endpoint, error(400, params.error().message));
    ListEvents list{consumer, endpoint, {}, false, {}};
    if (auto st = read_list_params(*params, list.filter, list.wait, true); !st) {
      return with(consumer, endpoint, error(400, st.error().message));
    }
    return list;
  }
  if (parts[1] != "consumers" || parts.size() != 4 || (parts[3] != "cursor" && parts[3] != "next")) {
    return not_found();
  }
  const bool cursor = parts[3] == "cursor";
  const bool put = request.method == "PUT";
  const Endpoint endpoint = !cursor ? Endpoint::kNext : put ? Endpoint::kCursorPut : Endpoint::kCursorGet;
  if (!get && !(cursor && put)) return with(consumer, endpoint, method_not_allowed(cursor));
  if (parts[2] != consumers_[consumer].name) {
    return with(consumer, endpoint, error(403, "a consumer may only read or move its own cursor"));
  }
  if (endpoint == Endpoint::kNext) {
    auto params = parse_query(query, {"limit", "wait"});
    if (!params) return with(consumer, endpoint, error(400, params.error().message));
    ListEvents list{consumer, endpoint, {}, true, {}};
    if (auto st = read_list_params(*params, list.filter, list.wait, false); !st) {
      return with(consumer, endpoint, error(400, st.error().message));
    }
    return list;
  }
  if (endpoint == Endpoint::kCursorGet) {
    auto params = parse_query(query, {});
    if (!params) return with(consumer, endpoint, error(400, params.error().message));
    return GetCursor{consumer};
  }
  auto params = parse_query(query, {"rewind"});
  if (!params) return with(consumer, endpoint, error(400, params.error().message));
  PutCursor write{consumer, 0, false};
  if (auto st = read_flag(*params, "rewind", write.rewind); !st) {
    return with(consumer, endpoint, error(400, st.error().message));
  }
  auto seq = cursor_body(request.body);
  if (!seq) {
    return with(consumer, endpoint,
                error(400, "the body must be a JSON object {\"seq\": N} with N a non-negative integer"));
  }
  write.seq = *seq;
  return write;
}

Reply Handler::page(const ListEvents& list, const std::vector<StoredEvent>& events, std::int64_t after) const {
  Reply r;
  r.status = 200;
  // Sized from the rows, so a page of large payloads is never copied again
  // as the body grows (events around the envelope take ~400 bytes).
  std::size_t size = 64;
  for (const StoredEvent& e : events) size += e.payload.size() + e.delivery_id.size() + 400;
  r.body.reserve(size);
  r.body += "{\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) r.body += ',';
    append_event_json(r.body, events[i]);
  }
  // Nothing new: the client asks again from where it was. A filtered page
  // never lets it skip past rows it has not been shown a reason to skip.
  const std::int64_t next_after = events.empty() ? after : events.back().seq;
  r.body += "],\"next_after\":" + std::to_string(next_after) + "}";
  r.events = events.size();
  if (!events.empty()) {
    r.first_seq = events.front().seq;
    r.last_seq = events.back().seq;
  }
  return with(list.consumer, list.endpoint, std::move(r));
}

Reply Handler::event(const GetEvent& get, const std::optional<StoredEvent>& found) const {
  if (!found) return with(get.consumer, Endpoint::kEvent, error(404, "no event has this seq"));
  Reply r;
  r.status = 200;
  append_event_json(r.body, *found);
  r.events = 1;
  r.first_seq = r.last_seq = found->seq;
  return with(get.consumer, Endpoint::kEvent, std::move(r));
}

Reply Handler::cursor(const GetCursor& get, std::int64_t seq) const {
  Reply r;
  r.status = 200;
  r.body = nlohmann::json{{"consumer", consumers_[get.consumer].name}, {"seq", seq}}.dump();
  return with(get.consumer, Endpoint::kCursorGet, std::move(r));
}

Reply Handler::cursor_written(const PutCursor& put, const CursorWrite& outcome) const {
  const std::string current = std::to_string(outcome.current);
  switch (outcome.kind) {
    case CursorWrite::Kind::kWritten: {
      Reply r;
      r.status = 200;
      r.body = nlohmann::json{{"consumer", consumers_[put.consumer].name}, {"seq", put.seq}}.dump();
      return with(put.consumer, Endpoint::kCursorPut, std::move(r));
    }
    case CursorWrite::Kind::kBackwards:
      return with(put.consumer, Endpoint::kCursorPut,
                  error(409, "the cursor is at " + current +
                                 "; moving it backwards needs ?rewind=true (events after it will be read again)"));
    case CursorWrite::Kind::kPastEnd:
      return with(put.consumer, Endpoint::kCursorPut,
                  error(409, "seq is past the newest event ever stored (" + current + ")"));
    case CursorWrite::Kind::kFailed:
      break;
  }
  Reply r = error(503, "the cursor could not be stored; retry");
  r.retry_after_seconds = 1;
  return with(put.consumer, Endpoint::kCursorPut, std::move(r));
}

Reply Handler::read_failed(std::size_t consumer, Endpoint endpoint) const {
  Reply r = error(503, "the database could not be read; retry");
  r.retry_after_seconds = 1;
  return with(consumer, endpoint, std::move(r));
}

Reply Handler::busy(std::size_t consumer, Endpoint endpoint) const {
  Reply r = error(503, "every [admin] reader is busy; retry");
  r.retry_after_seconds = 1;
  return with(consumer, endpoint, std::move(r));
}

Reply Handler::too_large() {
  return error(413, "the request body is larger than 4096 bytes");
}

Reply Handler::malformed() {
  return error(400, "malformed HTTP request");
}

Reply Handler::health() {
  Reply r;
  r.status = 200;
  r.body = health_body();
  r.endpoint = Endpoint::kHealth;
  return r;
}

Reply Handler::metrics(const MetricsSnapshot& snapshot) {
  Reply r;
  r.status = 200;
  r.body = render_metrics(snapshot);
  r.content_type = kMetricsContentType;
  r.endpoint = Endpoint::kMetrics;
  return r;
}

Reply Handler::readiness(const Health& health) {
  const std::vector<std::string> reasons = not_ready_reasons(health);
  Reply r;
  r.status = reasons.empty() ? 200 : 503;
  r.body = readiness_body(health, reasons);
  r.endpoint = Endpoint::kReady;
  return r;
}

}  // namespace chronohook::admin

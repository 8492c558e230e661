#include "chronohook/handler.hpp"

#include "chronohook/event_reader.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

#include "chronohook/crypto.hpp"
#include "chronohook/event_names.hpp"
#include "chronohook/payload.hpp"
#include "chronohook/query.hpp"

namespace chronohook::webhook {
namespace {

Reply make_error(int status, std::string_view message) {
  Reply r;
  r.status = status;
  r.body = error_body(message);
  return r;
}

bool is_printable_ascii(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

constexpr std::size_t kMaxDeliveryIdBytes = 128;

std::vector<Route> routes_from(const Config& config) {
  std::vector<Route> routes;
  routes.reserve(config.webhooks.size());
  for (const WebhookConfig& w : config.webhooks) {
    routes.push_back(Route{w.name, w.path, w.secret, w.accepted_secrets(), w.verify});
  }
  return routes;
}

Limits limits_from(const Config& config) {
  Limits l;
  l.max_body_bytes = config.server.max_body_bytes;
  l.max_msg_bytes = config.server.max_msg_bytes;
  l.verify_rate_per_minute_per_source = config.server.verify_rate_per_minute_per_source;
  return l;
}

}  // namespace

// One formatter for the stored time form: the readers' bounds compare with it.
std::string rfc3339_millis(Clock::time_point t) {
  return utc_millis(t);
}

std::string error_body(std::string_view message) {
  return nlohmann::json{{"error", message}}.dump();
}

Handler::Handler(const Config& config, std::shared_ptr<Counters> counters)
    : Handler(routes_from(config), limits_from(config), config.server.verify_rate_per_minute, std::move(counters)) {}

Handler::Handler(std::vector<Route> routes, Limits limits, unsigned verify_rate_per_minute,
                 std::shared_ptr<Counters> counters)
    : routes_(std::move(routes)), limits_(limits), counters_(std::move(counters)) {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    by_path_.emplace(routes_[i].path, i);
    verify_limiters_.push_back(std::make_unique<RateLimiter>(verify_rate_per_minute));
    verify_by_source_.push_back(
        std::make_unique<SourceRateLimiter>(limits_.verify_rate_per_minute_per_source, limits_.verify_sources_tracked));
  }
}

std::variant<Reply, ReadBody> Handler::on_head(const RequestHead& head) const {
  const std::size_t q = head.target.find('?');
  const std::string_view path = head.target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view{} : head.target.substr(q + 1);

  const auto found = by_path_.find(path);
  if (found == by_path_.end()) return make_error(404, "no webhook is served at this path");
  const std::size_t index = found->second;
  const Route& route = routes_[index];

  if (head.method == "GET") {
    Reply r = verification(route, index, query, head);
    r.webhook = route.name;
    return r;
  }
  if (head.method != "POST") {
    Reply r = make_error(405, "method not allowed: use GET for verification or POST for hooks");
    r.allow_get_post = true;
    r.webhook = route.name;
    return r;
  }

  // Authenticate before looking at anything else the sender controls.
  if (!head.signature || !crypto::matches_any_secret(*head.signature, route.accepted)) {
    counters_->unauthorized.fetch_add(1, std::memory_order_relaxed);
    Reply r = make_error(401, head.signature ? "X-drchrono-signature does not match this webhook's secret"
                                             : "X-drchrono-signature header is missing");
    r.webhook = route.name;
    return r;
  }

  auto bad = [&](std::string_view why) {
    counters_->bad_requests.fetch_add(1, std::memory_order_relaxed);
    Reply r = make_error(400, why);
    r.webhook = route.name;
    return r;
  };
  if (!head.repeated_header.empty()) return bad(std::string(head.repeated_header) + " header appears more than once");
  if (!head.event) return bad("X-drchrono-event header is missing");
  if (!is_well_formed_event_name(*head.event)) {
    return bad("X-drchrono-event must be 1 to 64 characters of A-Z, 0-9 and _");
  }
  if (!head.delivery) return bad("X-drchrono-delivery header is missing");
  if (head.delivery->empty() || head.delivery->size() > kMaxDeliveryIdBytes || !is_printable_ascii(*head.delivery)) {
    Reply r = bad("X-drchrono-delivery must be 1 to 128 printable ASCII characters");
    r.event = *head.event;
    return r;
  }
  if (head.content_length && *head.content_length > limits_.max_body_bytes) {
    return body_too_large(head, ReadBody{index});
  }
  return ReadBody{index};
}

Reply Handler::verification(const Route& route, std::size_t index, std::string_view query,
                            const RequestHead& head) const {
  counters_->verification_requests.fetch_add(1, std::memory_order_relaxed);
  if (!route.verify) {
    counters_->verification_disabled.fetch_add(1, std::memory_order_relaxed);
    return make_error(403, "verification is switched off for this webhook");
  }

  auto invalid = [&](std::string message) {
    counters_->verification_invalid.fetch_add(1, std::memory_order_relaxed);
    return make_error(400, message);
  };
  auto msg = query_parameter(query, "msg");
  if (!msg) return invalid("msg is malformed: " + msg.error().message);
  if (!msg->has_value()) return invalid("msg query parameter is missing");
  const std::string& value = **msg;
  if (value.size() > limits_.max_msg_bytes) {
    return invalid("msg is longer than " + std::to_string(limits_.max_msg_bytes) + " bytes");
  }
  if (!is_valid_utf8(value)) return invalid("msg is not valid UTF-8 once decoded");

  // The GET answer is an HMAC oracle keyed with the clinic's secret: bound it,
  // per source first so that one client cannot spend the webhook's budget.
  int retry_after = 0;
  if (!verify_by_source_[index]->allow(head.source, head.received, retry_after)) {
    counters_->verification_rate_limited.fetch_add(1, std::memory_order_relaxed);
    Reply r = make_error(429, "too many verification requests from this address; try again later");
    r.retry_after_seconds = retry_after;
    return r;
  }
  RateLimiter& limiter = *verify_limiters_[index];
  if (!limiter.allow(head.received)) {
    counters_->verification_rate_limited.fetch_add(1, std::memory_order_relaxed);
    Reply r = make_error(429, "too many verification requests; try again later");
    r.retry_after_seconds = limiter.seconds_until_next();
    return r;
  }

  counters_->verifications.fetch_add(1, std::memory_order_relaxed);
  Reply r;
  r.status = 200;
  r.body = R"({"secret_token":")" + crypto::hmac_sha256_hex(route.secret.expose(), value) + R"("})";
  r.no_store = true;
  return r;
}

std::variant<Reply, Store> Handler::on_body(const RequestHead& head, const ReadBody& accepted, std::string body) const {
  const Route& route = routes_[accepted.webhook_index];
  // on_head validated these; the session calls on_body only after it.
  const std::string_view event = *head.event;
  const std::string_view delivery = *head.delivery;

  if (body.size() > limits_.max_body_bytes) return body_too_large(head, accepted);
  auto facts = scan_payload(body, limits_.max_json_depth);
  if (!facts) {
    counters_->bad_requests.fetch_add(1, std::memory_order_relaxed);
    Reply r = make_error(400, facts.error().message);
    r.webhook = route.name;
    r.event = event;
    r.delivery = delivery;
    return r;
  }

  EventRecord rec;
  rec.webhook = route.name;
  rec.delivery_id = std::string(delivery);
  rec.event = std::string(event);
  rec.received_at = rfc3339_millis(head.received);
  rec.payload_sha256 = crypto::sha256(body);
  rec.payload = std::move(body);
  rec.object_id = std::move(facts->object_id);
  rec.patient_id = event_object_is_patient(event) ? rec.object_id : std::move(facts->object_patient);
  rec.practice_group_id = std::move(facts->practice_group_id);
  return Store{std::move(rec)};
}

Reply Handler::reply_for(const RequestHead& head, const ReadBody& accepted, const AppendOutcome& outcome) const {
  Reply r;
  bool known_event = true;
  switch (outcome.kind) {
    case AppendOutcome::Kind::kStored:
      counters_->hooks_stored.fetch_add(1, std::memory_order_relaxed);
      known_event = counters_->count_stored(*head.event);
      r.status = 200;
      r.body = R"({"status":"stored","seq":)" + std::to_string(outcome.seq);
      if (outcome.conflicts_with) {
        // A new body under a delivery id already stored: kept, flagged, counted.
        counters_->hooks_conflicting.fetch_add(1, std::memory_order_relaxed);
        r.body += R"(,"conflicts_with":)" + std::to_string(*outcome.conflicts_with);
      }
      r.body += "}";
      break;
    case AppendOutcome::Kind::kDuplicate:
      counters_->hooks_duplicate.fetch_add(1, std::memory_order_relaxed);
      r.status = 200;
      r.body = R"({"status":"duplicate","seq":)" + std::to_string(outcome.seq) + "}";
      break;
    case AppendOutcome::Kind::kFailed:
      // drchrono retries only on non-2xx, so a failed commit must not answer 200.
      counters_->hooks_failed.fetch_add(1, std::memory_order_relaxed);
      r = make_error(503, "the event store is unavailable; retry later");
      r.retry_after_seconds = 30;
      break;
    case AppendOutcome::Kind::kOverloaded:
      counters_->hooks_overloaded.fetch_add(1, std::memory_order_relaxed);
      r = make_error(503, "the receiver is overloaded; retry later");
      r.retry_after_seconds = 5;
      break;
  }
  r.webhook = routes_[accepted.webhook_index].name;
  r.event = *head.event;
  r.delivery = *head.delivery;
  if (outcome.kind == AppendOutcome::Kind::kStored && !known_event) {
    r.first_unknown_event = counters_->note_unknown_event(r.event);
  }
  return r;
}

Reply Handler::body_too_large(const RequestHead& head, const ReadBody& accepted) const {
  Reply r = make_error(413, "the body is larger than max_body_bytes");
  r.webhook = routes_[accepted.webhook_index].name;
  r.event = *head.event;
  r.delivery = *head.delivery;
  return r;
}

Reply Handler::malformed_body(const RequestHead& head, const ReadBody& accepted) const {
  counters_->bad_requests.fetch_add(1, std::memory_order_relaxed);
  Reply r = make_error(400, "the request body is malformed (its chunked framing could not be parsed)");
  r.webhook = routes_[accepted.webhook_index].name;
  r.event = *head.event;
  r.delivery = *head.delivery;
  return r;
}

}  // namespace chronohook::webhook

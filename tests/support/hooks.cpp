#include "support/hooks.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace chronohook::testing {
namespace {

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0x0f]);
  }
  return out;
}

std::optional<nlohmann::json> parse(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("hooks: RAND_bytes failed");
  }
  return hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string fresh_delivery_id() {
  // Random part: ids stay unique across test processes sharing nothing.
  static const std::string run = random_hex(4);
  static std::atomic<std::uint64_t> counter{0};
  return "bb-" + run + "-" + std::to_string(counter.fetch_add(1) + 1);
}

std::string synthetic_payload(std::string_view event, std::int64_t object_id, std::string_view extra) {
  char patient_name[32];
  std::snprintf(patient_name, sizeof patient_name, "Patient-%04lld", static_cast<long long>(object_id % 10000));
  nlohmann::json object = {{"id", object_id}, {"first_name", "Test"}, {"last_name", patient_name}};
  const bool object_is_patient = event == "PATIENT_CREATE" || event == "PATIENT_MODIFY";
  if (!object_is_patient) object["patient"] = 900000 + object_id;
  if (!extra.empty()) object["note"] = extra;
  nlohmann::json body = {
      {"receiver", {{"id", 31}, {"callback_url", "https://hooks.example.test/webhook"}, {"active", true}}},
      {"object", object},
      {"practice_group_id", 7001},
  };
  return body.dump();
}

Request signed_hook(std::string_view secret, std::string_view event, std::string_view body, std::string_view delivery,
                    std::string_view path) {
  Request r;
  r.method = "POST";
  r.target = std::string(path);
  r.headers = {
      {"Content-Type", "application/json"},
      {"X-drchrono-signature", std::string(secret)},
      {"X-drchrono-event", std::string(event)},
      {"X-drchrono-delivery", delivery.empty() ? fresh_delivery_id() : std::string(delivery)},
  };
  r.body = body.empty() ? synthetic_payload(event, 1001) : std::string(body);
  return r;
}

std::string delivery_of(const Request& request) {
  for (const Header& h : request.headers) {
    if (h.name == "X-drchrono-delivery") return h.value;
  }
  throw std::runtime_error("hooks: the request has no X-drchrono-delivery header");
}

Request verification_get(std::string_view raw_query, std::string_view path) {
  Request r;
  r.method = "GET";
  r.target = std::string(path) + "?" + std::string(raw_query);
  return r;
}

std::string expected_hmac_hex(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len) == nullptr) {
    throw std::runtime_error("hooks: HMAC failed");
  }
  return hex(out, len);
}

std::string utc_now_millis() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];  // room for any int the compiler imagines, not just real dates
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::optional<std::string> json_string_field(std::string_view body, std::string_view key) {
  auto j = parse(body);
  if (!j || !j->is_object()) return std::nullopt;
  auto it = j->find(std::string(key));
  if (it == j->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::int64_t> json_int_field(std::string_view body, std::string_view key) {
  auto j = parse(body);
  if (!j || !j->is_object()) return std::nullopt;
  auto it = j->find(std::string(key));
  if (it == j->end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

bool is_error_body(std::string_view body) {
  auto j = parse(body);
  if (!j || !j->is_object() || j->size() != 1) return false;
  auto it = j->find("error");
  return it != j->end() && it->is_string() && !it->get<std::string>().empty();
}

}  // namespace chronohook::testing

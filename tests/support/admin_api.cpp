#include "support/admin_api.hpp"

#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/hooks.hpp"

namespace chronohook::testing {

std::string admin_config(const AdminOptions& admin, const ConfigOptions& options, std::string_view extra) {
  std::ostringstream t;
  t << make_config(options) << "\n[admin]\nlisten = \"" << admin.listen << "\"\nreaders = " << admin.readers << "\n";
  if (admin.tls) t << "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n";
  t << admin.extra_admin_toml;
  t << "\n[[consumer]]\nname = \"billing\"\ntoken = \"" << kBillingToken << "\"\n"
    << "\n[[consumer]]\nname = \"sync\"\ntoken = \"" << kSyncToken << "\"\n"
    << extra;
  return t.str();
}

std::uint16_t admin_port(const Daemon& daemon) {
  // The line follows "listening on", which the Daemon waited for; the
  // logging thread may not have written it yet.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const std::string_view marker = "admin api on ";
  std::string log = daemon.log_text();
  std::size_t at = log.find(marker);
  std::size_t end = at == std::string::npos ? at : log.find(' ', at + marker.size());
  while (end == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("the daemon did not log \"admin api on\"; log:\n" + daemon.log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log = daemon.log_text();
    at = log.find(marker);
    end = at == std::string::npos ? at : log.find(' ', at + marker.size());
  }
  const std::string address = log.substr(at + marker.size(), end - at - marker.size());
  return static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1)));
}

ClientOptions admin_client_options(const Daemon& daemon, bool tls, std::chrono::milliseconds timeout) {
  ClientOptions o;
  o.tls = tls;
  if (tls) o.trust_cert = daemon.dir() / "cert.pem";
  o.timeout = timeout;
  return o;
}

Request admin_request(std::string_view method, std::string_view target, std::string_view token, std::string_view body) {
  Request r;
  r.method = std::string(method);
  r.target = std::string(target);
  if (!token.empty()) r.headers.push_back({"Authorization", "Bearer " + std::string(token)});
  if (!body.empty()) r.headers.push_back({"Content-Type", "application/json"});
  r.body = std::string(body);
  return r;
}

namespace {

nlohmann::json parse(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error("not JSON: " + std::string(text.substr(0, 200)));
  return doc;
}

}  // namespace

std::vector<std::int64_t> page_seqs(std::string_view body) {
  std::vector<std::int64_t> out;
  const auto doc = parse(body);  // alive for the loop: a temporary's member would not be
  for (const auto& e : doc.at("events")) out.push_back(e.at("seq").get<std::int64_t>());
  return out;
}

std::vector<std::string> page_events(std::string_view body) {
  std::vector<std::string> out;
  const auto doc = parse(body);
  for (const auto& e : doc.at("events")) out.push_back(e.dump());
  return out;
}

std::optional<std::int64_t> page_next_after(std::string_view body) {
  const auto doc = parse(body);
  if (!doc.contains("next_after") || !doc["next_after"].is_number_integer()) return std::nullopt;
  return doc["next_after"].get<std::int64_t>();
}

std::optional<std::string> json_field_text(std::string_view object, std::string_view key) {
  const auto doc = parse(object);
  const auto it = doc.find(std::string(key));
  if (it == doc.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_null()) return std::nullopt;
  return it->dump();
}

std::optional<std::string> payload_of(std::string_view event) {
  const auto doc = parse(event);
  if (!doc.contains("payload") || !doc["payload"].is_object()) return std::nullopt;
  return doc["payload"].dump();
}

std::string compact_json(std::string_view json) {
  return parse(json).dump();
}

std::vector<std::int64_t> send_hooks(const Daemon& daemon, int count, std::string_view event) {
  std::vector<std::int64_t> seqs;
  auto connection = daemon.connect();
  for (int i = 0; i < count; ++i) {
    const Response r = connection->send(signed_hook(kMainSecret, event));
    if (r.status != 200) throw std::runtime_error("a hook was answered " + std::to_string(r.status) + ": " + r.body);
    seqs.push_back(json_int_field(r.body, "seq").value_or(-1));
  }
  return seqs;
}

}  // namespace chronohook::testing

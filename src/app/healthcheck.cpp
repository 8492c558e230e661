// `chronohook healthcheck`: asks the daemon's /readyz on the [admin]
// listener, as a container's HEALTHCHECK does. Exit 0 when it answers 200;
// 1 otherwise (Docker reserves 2), with one line on stderr saying why.
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/http_probe.hpp"
#include "chronohook/config.hpp"

namespace chronohook::app {
namespace {

constexpr int kUnhealthy = 1;

// A wildcard listen address is reached on the loopback of its family.
std::string host_to_ask(const std::string& listen_host) {
  if (listen_host == "0.0.0.0") return "127.0.0.1";
  if (listen_host == "::") return "::1";
  return listen_host;
}

// Printable ASCII only, bounded: the body came over a socket.
std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > max) out += "...";
  return out;
}

// The reasons /readyz gave, joined; or what the body says.
std::string reasons_of(const std::string& body) {
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object()) return printable(body, 200);
  std::string out;
  if (auto it = doc.find("reasons"); it != doc.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (r.is_string()) out += (out.empty() ? "" : "; ") + r.get<std::string>();
    }
  } else if (auto e = doc.find("error"); e != doc.end() && e->is_string()) {
    out = e->get<std::string>();
  }
  return printable(out.empty() ? body : out, 400);
}

}  // namespace

int healthcheck(const std::filesystem::path& config_file, std::chrono::seconds timeout) {
  auto config = load_config(config_file, ConfigEnvironment::from_process());
  if (!config) {
    std::cerr << "healthcheck: " << config.error().message << "\n";
    return kUnhealthy;
  }
  const AdminConfig& admin = config->admin;
  if (!admin.enabled) {
    std::cerr << "healthcheck: the configuration has no [admin] table, and /readyz is served there: add [admin] "
                 "(e.g. listen = \"127.0.0.1:9443\") to "
              << config->source.string() << "\n";
    return kUnhealthy;
  }
  if (admin.listen.port == 0) {
    std::cerr << "healthcheck: [admin] listen has port 0 (any free port), so there is no port to ask: give it a "
                 "fixed port\n";
    return kUnhealthy;
  }
  ProbeTarget target;
  target.host = host_to_ask(admin.listen.host);
  target.port = admin.listen.port;
  target.path = "/readyz";
  target.trust_file = admin.tls_cert;  // empty: plain HTTP (loopback only)
  target.timeout = timeout;
  const std::string where = ListenAddress{target.host, target.port}.to_string();

  auto answer = http_get(target);
  if (!answer) {
    std::cerr << "healthcheck: no answer from the admin listener at " << where << ": " << answer.error().message
              << "\n";
    return kUnhealthy;
  }
  if (answer->status != 200) {
    std::cerr << "healthcheck: not ready (" << answer->status << " from " << where
              << "): " << reasons_of(answer->body) << "\n";
    return kUnhealthy;
  }
  std::cout << "ready\n";
  return kExitOk;
}

}  // namespace chronohook::app

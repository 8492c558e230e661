#include "app/reload.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include "admin/handler.hpp"
#include "admin/server.hpp"
#include "app/reload_diff.hpp"
#include "chronohook/handler.hpp"
#include "chronohook/server.hpp"
#include "chronohook/tls.hpp"

namespace chronohook::app {
namespace {

namespace ssl = boost::asio::ssl;

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string fingerprint(const std::shared_ptr<ssl::context>& ctx) {
  return ctx ? tls::describe_certificate(*ctx).chain_sha256 : std::string();
}

const ConsumerConfig* find_consumer(const Config& c, const std::string& name) {
  for (const ConsumerConfig& x : c.consumers) {
    if (x.name == name) return &x;
  }
  return nullptr;
}

const WebhookConfig* find_webhook(const Config& c, const std::string& name) {
  for (const WebhookConfig& w : c.webhooks) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

}  // namespace

// What came of one reload, for the summary line. Names only, never a value
// that could be a secret.
struct Reloader::Report {
  std::vector<std::string> applied;
  std::vector<std::string> refused;  // needs a restart
  std::vector<std::string> failed;   // broken: the running setting stays

  std::string summary() const {
    if (applied.empty() && refused.empty() && failed.empty()) return "nothing changed";
    std::string out = "applied: " + (applied.empty() ? std::string("nothing") : joined(applied));
    if (!refused.empty()) out += "; refused, needs a restart: " + joined(refused);
    if (!failed.empty()) out += "; kept the running setting after an error: " + joined(failed);
    return out;
  }
};

Reloader::Reloader(std::filesystem::path config_file, Config running, net::Server& server,
                   std::shared_ptr<ssl::context> webhook_tls, admin::Server* admin)
    : config_file_(std::move(config_file)),
      live_(std::move(running)),
      server_(server),
      admin_(admin),
      webhook_chain_(fingerprint(webhook_tls)),
      admin_chain_(admin != nullptr ? fingerprint(admin->tls_context()) : std::string()) {}

void Reloader::reload() {
  // The service manager shows "reloading" until READY=1 (and a
  // Type=notify-reload unit, systemd 253 and later, waits for it).
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
             static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                 static_cast<unsigned long long>(now.tv_nsec) / 1000ULL);
  spdlog::info("SIGHUP: reloading {}", config_file_.string());
  Report report;
  auto next = load_config(config_file_, ConfigEnvironment::from_process());
  if (!next) {
    // The file is one unit, as check-config sees it. The certificates do
    // not depend on it being valid: a renewal in place is still picked up.
    spdlog::error("reload: {}; none of the file's settings was applied", next.error().message);
    report.failed.emplace_back("configuration file");
    reload_certificates(nullptr, report);
  } else {
    for (const std::string& warning : next->warnings) spdlog::warn("reload: {}", warning);
    for (const FixedChange& c : fixed_changes(live_, *next)) {
      spdlog::warn("reload: {} changed from {} to {}; not applied: it needs a restart", c.setting, c.from, c.to);
      report.refused.push_back(c.setting);
    }
    reload_certificates(&*next, report);
    apply_webhooks(*next, report);
    apply_consumers(*next, report);
    apply_log_level(*next, report);
  }
  spdlog::info("reload finished: {}", report.summary());
  sd_notify(0, "READY=1");
}

namespace {

// Loads one listener's certificate and key. Replaces the served one when it
// loads and differs from it; a broken pair keeps the running one. Returns
// true when the pair at these paths is the one served (new or unchanged).
bool reload_certificate(std::string_view what, const std::filesystem::path& cert, const std::filesystem::path& key,
                        std::string& served_chain, const std::function<void(std::shared_ptr<ssl::context>)>& replace,
                        std::vector<std::string>& applied, std::vector<std::string>& failed) {
  auto ctx = tls::make_server_context(cert, key);
  if (!ctx) {
    spdlog::error("reload: {} not replaced, the running one stays: {}", what, ctx.error().message);
    failed.emplace_back(what);
    return false;
  }
  const tls::CertificateInfo info = tls::describe_certificate(**ctx);
  if (!info.chain_sha256.empty() && info.chain_sha256 == served_chain) return true;  // the same one read again
  if (info.expired) {
    spdlog::error("reload: {} not replaced, the running one stays: the certificate in {} expired on {}", what,
                  cert.string(), info.not_after);
    failed.emplace_back(what);
    return false;
  }
  replace(std::move(*ctx));
  served_chain = info.chain_sha256;
  spdlog::info("reload: {} replaced: {} serial {} valid until {}; new connections use it, open ones keep theirs", what,
               info.subject, info.serial, info.not_after);
  applied.push_back(std::string(what) + " (serial " + info.serial + ")");
  return true;
}

}  // namespace

void Reloader::reload_certificates(const Config* next, Report& report) {
  // Paths from the new file when it loaded and keeps TLS on; else the
  // running ones (TLS switched on or off was refused above).
  if (live_.server.tls) {
    const bool use_next = next != nullptr && next->server.tls;
    const ServerConfig& from = use_next ? next->server : live_.server;
    const bool ok = reload_certificate(
        "webhook certificate", from.tls_cert, from.tls_key, webhook_chain_,
        [this](std::shared_ptr<ssl::context> ctx) { server_.replace_tls(std::move(ctx)); }, report.applied,
        report.failed);
    if (ok && use_next) {
      live_.server.tls_cert = next->server.tls_cert;
      live_.server.tls_key = next->server.tls_key;
    }
  }
  if (admin_ != nullptr && admin_->tls_context()) {
    const bool use_next = next != nullptr && next->admin.enabled && !next->admin.tls_cert.empty();
    const AdminConfig& from = use_next ? next->admin : live_.admin;
    const bool ok = reload_certificate(
        "admin certificate", from.tls_cert, from.tls_key, admin_chain_,
        [this](std::shared_ptr<ssl::context> ctx) { admin_->replace_tls(std::move(ctx)); }, report.applied,
        report.failed);
    if (ok && use_next) {
      live_.admin.tls_cert = next->admin.tls_cert;
      live_.admin.tls_key = next->admin.tls_key;
    }
  }
}

// Secrets, previous secrets and verify of every webhook that kept its name
// and path (one that did not was refused as a whole). The new handler shares
// the old one's verification budgets and counters.
void Reloader::apply_webhooks(const Config& next, Report& report) {
  std::vector<std::string> changed;
  for (WebhookConfig& w : live_.webhooks) {
    const WebhookConfig* now = find_webhook(next, w.name);
    if (now == nullptr || now->path != w.path || same_credentials(w, *now)) continue;
    w.secret = now->secret;
    w.previous_secrets = now->previous_secrets;
    w.verify = now->verify;
    w.secret_source = now->secret_source;
    spdlog::info("reload: webhook {} has new credentials: secret from {}, {} secret(s) accepted, verification {}",
                 w.name, w.secret_source, 1 + w.previous_secrets.size(), w.verify ? "on" : "off");
    changed.push_back(w.name);
  }
  if (changed.empty()) return;
  std::vector<webhook::Route> routes;
  routes.reserve(live_.webhooks.size());
  for (const WebhookConfig& w : live_.webhooks) {
    routes.push_back(webhook::Route{w.name, w.path, w.secret, w.accepted_secrets(), w.verify});
  }
  server_.replace_handler(std::make_shared<const webhook::Handler>(*server_.handler(), std::move(routes)));
  report.applied.push_back("credentials of webhook " + joined(changed));
}

// Tokens of every consumer that is still configured (one added or removed
// was refused).
void Reloader::apply_consumers(const Config& next, Report& report) {
  if (admin_ == nullptr) return;
  std::vector<std::string> changed;
  for (ConsumerConfig& c : live_.consumers) {
    const ConsumerConfig* now = find_consumer(next, c.name);
    if (now == nullptr || now->token.digest() == c.token.digest()) continue;
    c.token = now->token;
    c.token_source = now->token_source;
    spdlog::info("reload: consumer {} has a new token (from {})", c.name, c.token_source);
    changed.push_back(c.name);
  }
  const auto digest = [](const std::optional<Secret>& t) { return t ? t->digest() : std::array<std::uint8_t, 32>{}; };
  const bool metrics_token_changed =
      next.admin.enabled && (next.admin.metrics_token.has_value() != live_.admin.metrics_token.has_value() ||
                             digest(next.admin.metrics_token) != digest(live_.admin.metrics_token));
  if (metrics_token_changed) {
    live_.admin.metrics_token = next.admin.metrics_token;
    live_.admin.metrics_token_source = next.admin.metrics_token_source;
    spdlog::info("reload: /metrics {}", live_.admin.metrics_token
                                            ? "takes a new token (from " + live_.admin.metrics_token_source + ")"
                                            : std::string("is open: no metrics_token_file"));
  }
  if (changed.empty() && !metrics_token_changed) return;
  admin_->replace_handler(std::make_shared<const admin::Handler>(live_));
  if (!changed.empty()) report.applied.push_back("token of consumer " + joined(changed));
  if (metrics_token_changed) report.applied.emplace_back("admin.metrics_token_file");
}

void drop_secrets(Config& config) {
  for (WebhookConfig& w : config.webhooks) {
    w.secret = Secret();
    w.previous_secrets.clear();
  }
  for (ConsumerConfig& c : config.consumers) c.token = Secret();
  config.admin.metrics_token.reset();
}

void Reloader::apply_log_level(const Config& next, Report& report) {
  if (next.log.level == live_.log.level) return;
  spdlog::info("reload: log.level changed from {} to {}", live_.log.level, next.log.level);
  spdlog::default_logger()->set_level(spdlog::level::from_str(next.log.level));  // validated by load_config
  live_.log.level = next.log.level;
  report.applied.push_back("log.level");
}

}  // namespace chronohook::app

// check-config and migrate: one-shot commands that print and exit.
#include <sys/stat.h>

#include <iostream>
#include <ostream>
#include <string>
#include <string_view>

#include "app/commands.hpp"
#include "chronohook/config.hpp"
#include "chronohook/migrations.hpp"
#include "chronohook/retention.hpp"
#include "chronohook/sqlite.hpp"
#include "chronohook/tls.hpp"

namespace chronohook::app {

namespace {

// One "  key   value (from VARIABLE, overrides the file's ...)" line per
// setting, so an operator sees every effective value and which ones the
// environment (a unit's Environment= lines, say) changed.
class SettingsPrinter {
 public:
  SettingsPrinter(std::ostream& out, const Config& config) : out_(out), config_(config) {}

  void table(std::string_view title, std::string prefix) {
    out_ << title << "\n";
    prefix_ = std::move(prefix);
  }

  template <typename Value>
  void setting(std::string_view key, const Value& value, std::string_view note = {}) {
    out_ << "  " << key << std::string(key.size() < 24 ? 24 - key.size() : 1, ' ') << value;
    std::string origin(note);
    if (auto it = config_.env_settings.find(prefix_ + std::string(key)); it != config_.env_settings.end()) {
      origin = "from " + it->second.variable;
      if (!it->second.replaced.empty()) origin += ", overrides " + it->second.replaced;
      if (!note.empty()) origin += "; " + std::string(note);
    }
    if (!origin.empty()) out_ << " (" << origin << ")";
    out_ << "\n";
  }

  // A secret-bearing setting: where it came from, never its value.
  void source(std::string_view key, std::string_view where) {
    out_ << "  " << key << std::string(key.size() < 24 ? 24 - key.size() : 1, ' ') << where << "\n";
  }

 private:
  std::ostream& out_;
  const Config& config_;
  std::string prefix_;
};

const char* yes_no(bool b) {
  return b ? "true" : "false";
}

void print_settings(std::ostream& out, const Config& c) {
  SettingsPrinter p(out, c);
  const ServerConfig& s = c.server;
  const std::string_view unused = s.tls ? "" : "unused: tls = false";
  p.table("[server]", "server.");
  p.setting("listen", s.listen.to_string());
  p.setting("tls", yes_no(s.tls), s.tls ? "https" : "plain http");
  p.setting("tls_cert", s.tls_cert.string(), unused);
  p.setting("tls_key", s.tls_key.string(), unused);
  p.setting("threads", s.threads, s.threads == 0 ? "one per CPU core" : "");
  p.setting("max_connections", s.max_connections);
  p.setting("max_connections_per_source", s.max_connections_per_source,
            s.max_connections_per_source == 0 ? "no cap" : "");
  p.setting("max_body_bytes", s.max_body_bytes);
  p.setting("max_header_bytes", s.max_header_bytes);
  p.setting("max_msg_bytes", s.max_msg_bytes);
  p.setting("handshake_timeout_ms", s.handshake_timeout.count());
  p.setting("header_timeout_ms", s.header_timeout.count());
  p.setting("body_timeout_ms", s.body_timeout.count());
  p.setting("idle_timeout_ms", s.idle_timeout.count());
  p.setting("write_timeout_ms", s.write_timeout.count());
  p.setting("shutdown_timeout_ms", s.shutdown_timeout.count());
  p.setting("verify_rate_per_minute", s.verify_rate_per_minute);
  p.setting("verify_rate_per_minute_per_source", s.verify_rate_per_minute_per_source);
  p.table("[storage]", "storage.");
  p.setting("path", c.storage.path.string());
  p.setting("synchronous", to_string(c.storage.synchronous));
  p.setting("busy_timeout_ms", c.storage.busy_timeout.count());
  p.setting("queue_capacity", c.storage.queue_capacity);
  p.setting("max_batch", c.storage.max_batch);
  p.setting("file_mode", sqlite::octal_mode(c.storage.file_mode));
  p.table("[log]", "log.");
  p.setting("level", c.log.level);
  p.setting("access_log", yes_no(c.log.access_log));
  p.setting("format", c.log.format == LogFormat::kJson ? "json" : "text");
  if (const RetentionConfig& r = c.retention; r.enabled) {
    p.table("[retention]", "retention.");
    p.setting("max_age", r.max_age ? format_age(*r.max_age) : "not set");
    p.setting("max_events", r.max_events ? std::to_string(*r.max_events) : "not set");
    p.setting("keep_unacknowledged", yes_no(r.keep_unacknowledged));
    p.setting("interval", format_age(r.interval));
    p.setting("batch_size", r.batch_size);
  }
  for (const WebhookConfig& w : c.webhooks) {
    p.table("[[webhook]] \"" + w.name + "\"", "webhook." + w.name + ".");
    p.setting("path", w.path);
    p.source("secret", "from " + w.secret_source);
    p.source("previous secrets", std::to_string(w.previous_secrets.size()) + " (still accepted for POSTed hooks)");
    p.setting("verify", yes_no(w.verify), w.verify ? "GET challenges answered" : "GET challenges refused");
  }
  if (c.admin.enabled) {
    const bool tls = !c.admin.tls_cert.empty();
    p.table("[admin]", "admin.");
    p.setting("listen", c.admin.listen.to_string(), tls ? "https" : "plain http, loopback only");
    p.setting("tls_cert", tls ? c.admin.tls_cert.string() : "-");
    p.setting("tls_key", tls ? c.admin.tls_key.string() : "-");
    p.setting("readers", c.admin.readers);
    p.source("metrics_token_file",
             c.admin.metrics_token ? c.admin.metrics_token_source : "- (GET /metrics needs no token)");
  } else {
    out << "[admin]\n  off (no [admin] table: no pull API)\n";
  }
  for (const ConsumerConfig& consumer : c.consumers) {
    p.table("[[consumer]] \"" + consumer.name + "\"", "consumer." + consumer.name + ".");
    p.source("token", "from " + consumer.token_source);
  }
}

}  // namespace

int check_config(const std::filesystem::path& config_file) {
  auto config = load_config(config_file, ConfigEnvironment::from_process());
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  if (config->server.tls) {
    if (auto ctx = tls::make_server_context(config->server.tls_cert, config->server.tls_key); !ctx) {
      std::cerr << "config: " << ctx.error().message << "\n";
      return kExitConfig;
    }
  }
  if (config->admin.enabled && !config->admin.tls_cert.empty()) {
    if (auto ctx = tls::make_server_context(config->admin.tls_cert, config->admin.tls_key); !ctx) {
      std::cerr << "config: [admin] " << ctx.error().message << "\n";
      return kExitConfig;
    }
  }
  std::cout << "config " << config->source.string() << ": OK\n";
  print_settings(std::cout, *config);
  for (const std::string& warning : config->warnings) std::cout << "warning  " << warning << "\n";
  return kExitOk;
}

int migrate(const std::filesystem::path& config_file) {
  ::umask(077);
  auto config = load_config(config_file, ConfigEnvironment::from_process());
  if (!config) {
    std::cerr << config.error().message << "\n";
    return kExitConfig;
  }
  auto prepared = sqlite::prepare_database_file(config->storage.path, config->storage.file_mode);
  if (!prepared) {
    std::cerr << "migrate: " << prepared.error().message << "\n";
    return kExitRuntime;
  }
  for (const sqlite::ModeChange& c : *prepared) {
    std::cout << "mode     " << c.file.string() << " changed from " << sqlite::octal_mode(c.from) << " to "
              << sqlite::octal_mode(c.to) << " ([storage] file_mode)\n";
  }
  auto db = sqlite::Database::open(config->storage.path, sqlite::Database::Mode::kReadWrite);
  if (!db) {
    std::cerr << "migrate: " << db.error().message << "\n";
    return kExitRuntime;
  }
  // auto_vacuum before WAL: see EventStore::open.
  if (auto st = db->exec("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;"); !st) {
    std::cerr << "migrate: " << st.error().message << "\n";
    return kExitRuntime;
  }
  auto report = chronohook::migrate(*db, embedded_migrations());
  if (!report) {
    std::cerr << report.error().message << "\n";
    return kExitRuntime;
  }
  for (const std::string& name : report->applied) std::cout << "applied  " << name << "\n";
  std::cout << "database " << config->storage.path.string() << " is at schema version " << report->schema_version
            << (report->applied.empty() ? " (nothing to do)" : "") << "\n";
  return kExitOk;
}

}  // namespace chronohook::app

#include "app/reload_diff.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "chronohook/sqlite.hpp"

namespace chronohook::app {
namespace {

std::string text(bool v) {
  return v ? "true" : "false";
}
std::string text(std::uint64_t v) {
  return std::to_string(v);
}
std::string text(unsigned v) {
  return std::to_string(v);
}
std::string text(const std::string& v) {
  return "\"" + v + "\"";
}
std::string text(const std::filesystem::path& v) {
  return "\"" + v.string() + "\"";
}
std::string text(std::chrono::milliseconds v) {
  return std::to_string(v.count()) + " ms";
}
std::string text(std::chrono::seconds v) {
  return std::to_string(v.count()) + " s";
}
template <typename T>
std::string text(const std::optional<T>& v) {
  return v ? text(*v) : "(unset)";
}

class Differ {
 public:
  explicit Differ(std::vector<FixedChange>& out) : out_(out) {}

  template <typename T>
  void check(std::string setting, const T& from, const T& to) {
    if (!(from == to)) out_.push_back(FixedChange{std::move(setting), text(from), text(to)});
  }
  void check_text(std::string setting, const std::string& from, const std::string& to) {
    if (from != to) out_.push_back(FixedChange{std::move(setting), from, to});
  }
  void add(std::string setting, std::string from, std::string to) {
    out_.push_back(FixedChange{std::move(setting), std::move(from), std::move(to)});
  }

 private:
  std::vector<FixedChange>& out_;
};

void server_changes(Differ& d, const ServerConfig& a, const ServerConfig& b) {
  d.check_text("server.listen", a.listen.to_string(), b.listen.to_string());
  d.check("server.tls", a.tls, b.tls);
  d.check("server.threads", a.threads, b.threads);
  d.check("server.max_connections", a.max_connections, b.max_connections);
  d.check("server.max_connections_per_source", a.max_connections_per_source, b.max_connections_per_source);
  d.check("server.max_body_bytes", a.max_body_bytes, b.max_body_bytes);
  d.check("server.max_header_bytes", a.max_header_bytes, b.max_header_bytes);
  d.check("server.max_msg_bytes", a.max_msg_bytes, b.max_msg_bytes);
  d.check("server.handshake_timeout_ms", a.handshake_timeout, b.handshake_timeout);
  d.check("server.header_timeout_ms", a.header_timeout, b.header_timeout);
  d.check("server.body_timeout_ms", a.body_timeout, b.body_timeout);
  d.check("server.idle_timeout_ms", a.idle_timeout, b.idle_timeout);
  d.check("server.write_timeout_ms", a.write_timeout, b.write_timeout);
  d.check("server.shutdown_timeout_ms", a.shutdown_timeout, b.shutdown_timeout);
  d.check("server.verify_rate_per_minute", a.verify_rate_per_minute, b.verify_rate_per_minute);
  d.check("server.verify_rate_per_minute_per_source", a.verify_rate_per_minute_per_source,
          b.verify_rate_per_minute_per_source);
}

void storage_changes(Differ& d, const StorageConfig& a, const StorageConfig& b) {
  d.check("storage.path", a.path, b.path);
  d.check_text("storage.synchronous", to_string(a.synchronous), to_string(b.synchronous));
  d.check("storage.busy_timeout_ms", a.busy_timeout, b.busy_timeout);
  d.check("storage.queue_capacity", a.queue_capacity, b.queue_capacity);
  d.check("storage.max_batch", a.max_batch, b.max_batch);
  d.check_text("storage.file_mode", sqlite::octal_mode(a.file_mode), sqlite::octal_mode(b.file_mode));
}

void admin_changes(Differ& d, const AdminConfig& a, const AdminConfig& b) {
  if (a.enabled != b.enabled) return d.add("admin", a.enabled ? "on" : "off", b.enabled ? "on" : "off");
  if (!a.enabled) return;
  d.check_text("admin.listen", a.listen.to_string(), b.listen.to_string());
  const bool tls_a = !a.tls_cert.empty();
  const bool tls_b = !b.tls_cert.empty();
  // The certificate's paths are live; switching TLS on or off is not.
  if (tls_a != tls_b) d.add("admin.tls_cert", tls_a ? "https" : "plain http", tls_b ? "https" : "plain http");
  d.check("admin.readers", a.readers, b.readers);
}

void retention_changes(Differ& d, const RetentionConfig& a, const RetentionConfig& b) {
  if (a.enabled != b.enabled) return d.add("retention", a.enabled ? "on" : "off", b.enabled ? "on" : "off");
  if (!a.enabled) return;
  d.check("retention.max_age", a.max_age, b.max_age);
  d.check("retention.max_events", a.max_events, b.max_events);
  d.check("retention.keep_unacknowledged", a.keep_unacknowledged, b.keep_unacknowledged);
  d.check("retention.interval", a.interval, b.interval);
  d.check("retention.batch_size", a.batch_size, b.batch_size);
}

const WebhookConfig* find_webhook(const Config& c, const std::string& name) {
  for (const WebhookConfig& w : c.webhooks) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

const ConsumerConfig* find_consumer(const Config& c, const std::string& name) {
  for (const ConsumerConfig& x : c.consumers) {
    if (x.name == name) return &x;
  }
  return nullptr;
}

// Which webhooks exist, and where, is fixed: the routes, their counters and
// their verification budgets are built at start.
void webhook_changes(Differ& d, const Config& a, const Config& b) {
  for (const WebhookConfig& w : a.webhooks) {
    const WebhookConfig* now = find_webhook(b, w.name);
    if (now == nullptr) {
      d.add("webhook." + w.name, text(w.path), "(none)");
    } else if (now->path != w.path) {
      d.add("webhook." + w.name + ".path", text(w.path), text(now->path));
    }
  }
  for (const WebhookConfig& w : b.webhooks) {
    if (find_webhook(a, w.name) == nullptr) d.add("webhook." + w.name, "(none)", text(w.path));
  }
}

// Which consumers exist is fixed: retention protects what the consumers
// known at start have not acknowledged. Their tokens are live.
void consumer_changes(Differ& d, const Config& a, const Config& b) {
  for (const ConsumerConfig& c : a.consumers) {
    if (find_consumer(b, c.name) == nullptr) d.add("consumer." + c.name, "(present)", "(none)");
  }
  for (const ConsumerConfig& c : b.consumers) {
    if (find_consumer(a, c.name) == nullptr) d.add("consumer." + c.name, "(none)", "(present)");
  }
}

bool same_secret(const Secret& a, const Secret& b) {
  return a.digest() == b.digest();
}

}  // namespace

std::vector<FixedChange> fixed_changes(const Config& running, const Config& next) {
  std::vector<FixedChange> out;
  Differ d(out);
  server_changes(d, running.server, next.server);
  storage_changes(d, running.storage, next.storage);
  d.check("log.access_log", running.log.access_log, next.log.access_log);
  admin_changes(d, running.admin, next.admin);
  retention_changes(d, running.retention, next.retention);
  webhook_changes(d, running, next);
  consumer_changes(d, running, next);
  return out;
}

bool same_credentials(const WebhookConfig& a, const WebhookConfig& b) {
  if (a.verify != b.verify || !same_secret(a.secret, b.secret)) return false;
  if (a.previous_secrets.size() != b.previous_secrets.size()) return false;
  for (std::size_t i = 0; i < a.previous_secrets.size(); ++i) {
    if (!same_secret(a.previous_secrets[i], b.previous_secrets[i])) return false;
  }
  return true;
}

}  // namespace chronohook::app

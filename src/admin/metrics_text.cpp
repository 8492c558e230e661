#include "admin/metrics_text.hpp"

#include <cstdio>

namespace chronohook::admin {
namespace {

// A label value as the exposition format wants it: \ " and newline escaped.
std::string escaped(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Seconds from microseconds, or any scaled value, without trailing noise.
std::string number(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return buf;
}

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  // `labels` is already `key="value",...` (escaped), or empty.
  void sample(std::string_view name, std::string_view labels, std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    sample(name, labels, std::to_string(value));
  }

  void one(std::string_view name, std::string_view type, std::string_view help, std::uint64_t value) {
    family(name, type, help);
    sample(name, "", value);
  }

  // `scale` turns the histogram's unit into the exported one (1e-6: us -> s).
  void histogram(std::string_view name, std::string_view help, const HistogramSnapshot& h, double scale) {
    family(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.bounds.size() && i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      sample(bucket, "le=\"" + number(static_cast<double>(h.bounds[i]) * scale) + "\"", cumulative);
    }
    if (h.counts.size() > h.bounds.size()) cumulative += h.counts.back();
    sample(bucket, "le=\"+Inf\"", cumulative);
    sample(std::string(name) + "_sum", "", number(static_cast<double>(h.sum) * scale));
    sample(std::string(name) + "_count", "", cumulative);
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string render_metrics(const MetricsSnapshot& m) {
  const CountersSnapshot& c = m.counters;
  Writer w;
  w.family("chronohook_build_info", "gauge", "The running chronohook's version (always 1).");
  w.sample("chronohook_build_info", "version=\"" + escaped(m.version) + "\"", 1);
  w.one("chronohook_ready", "gauge", "1 when /readyz would answer 200, else 0.", m.ready ? 1 : 0);

  w.family("chronohook_requests_total", "counter",
           "Answers of the webhook listener by webhook (\"(none)\": no webhook's path) and HTTP status.");
  for (const RequestCounts::Row& r : c.requests) {
    w.sample("chronohook_requests_total",
             "webhook=\"" + escaped(r.webhook.empty() ? "(none)" : r.webhook) + "\",code=\"" + r.code + "\"",
             r.value);
  }
  w.family("chronohook_hooks_stored_total", "counter",
           "Hooks committed to the database, by event name (a name not in the known list counts as \"other\").");
  for (const auto& [event, value] : c.stored_by_event) {
    w.sample("chronohook_hooks_stored_total", "event=\"" + escaped(event) + "\"", value);
  }
  w.one("chronohook_hooks_duplicate_total", "counter",
        "Deliveries already stored (same webhook, delivery id, event and body), answered 200 and counted.",
        c.hooks_duplicate);
  w.one("chronohook_hooks_conflicting_total", "counter",
        "Stored hooks whose delivery id was already stored with another event or body.", c.hooks_conflicting);
  w.family("chronohook_hooks_rejected_total", "counter",
           "Hooks answered 503 for the sender to retry: the store failed, or its queue was full.");
  w.sample("chronohook_hooks_rejected_total", "reason=\"store_error\"", c.hooks_failed);
  w.sample("chronohook_hooks_rejected_total", "reason=\"queue_full\"", c.hooks_overloaded);
  w.family("chronohook_authentication_failures_total", "counter",
           "Requests refused 401: a webhook POST with a missing or wrong signature, or an admin request with a "
           "missing or wrong token.");
  w.sample("chronohook_authentication_failures_total", "listener=\"webhook\"", c.unauthorized);
  w.sample("chronohook_authentication_failures_total", "listener=\"admin\"", c.admin_unauthorized);
  w.one("chronohook_bad_requests_total", "counter",
        "Authenticated hooks refused 400: a header, the body or its framing malformed.", c.bad_requests);
  w.one("chronohook_verification_requests_total", "counter", "Verification GETs on a webhook's path.",
        c.verification_requests);
  w.family("chronohook_verification_refusals_total", "counter",
           "Verification GETs not answered with the HMAC: verification off (403), msg missing or malformed "
           "(400), rate limited (429).");
  w.sample("chronohook_verification_refusals_total", "reason=\"disabled\"", c.verification_disabled);
  w.sample("chronohook_verification_refusals_total", "reason=\"invalid\"", c.verification_invalid);
  w.sample("chronohook_verification_refusals_total", "reason=\"rate_limited\"", c.verification_rate_limited);

  w.histogram("chronohook_commit_duration_seconds",
              "Time of each transaction of hooks, BEGIN IMMEDIATE to COMMIT (lock waits and fsync included).",
              c.commit_micros, 1e-6);
  w.histogram("chronohook_commit_batch_size", "Hooks per transaction (group commit).", c.batch_size, 1.0);
  w.one("chronohook_queue_depth", "gauge", "Hooks waiting for the writer.", m.health.queued);
  w.one("chronohook_queue_capacity", "gauge", "[storage] queue_capacity: a full queue answers 503.",
        m.health.queue_capacity);
  w.family("chronohook_writer_progress_age_seconds", "gauge",
           "Time since the writer last finished a commit, a task or an idle heartbeat.");
  w.sample("chronohook_writer_progress_age_seconds", "",
           number(static_cast<double>(m.health.writer_progress_age.count()) / 1000.0));

  w.family("chronohook_open_connections", "gauge", "Open connections, by listener.");
  w.sample("chronohook_open_connections", "listener=\"webhook\"", c.connections_open);
  w.sample("chronohook_open_connections", "listener=\"admin\"", m.admin_connections);
  w.family("chronohook_tls_handshake_failures_total", "counter", "TLS handshakes that failed, by listener.");
  w.sample("chronohook_tls_handshake_failures_total", "listener=\"webhook\"", c.tls_handshake_failures);
  w.sample("chronohook_tls_handshake_failures_total", "listener=\"admin\"", c.admin_tls_handshake_failures);
  w.one("chronohook_connections_evicted_total", "counter",
        "Idle webhook connections closed to make room at max_connections.", c.connections_evicted);
  w.one("chronohook_connections_refused_total", "counter",
        "Webhook connections closed at once: their source held max_connections_per_source.",
        c.connections_refused_source);

  if (m.database_bytes) {
    w.one("chronohook_database_size_bytes", "gauge", "Size of the database file.", *m.database_bytes);
  }
  w.one("chronohook_database_wal_size_bytes", "gauge", "Size of the database's write-ahead log (-wal) file.",
        m.wal_bytes.value_or(0));
  w.one("chronohook_log_lines_dropped_total", "counter",
        "Log lines dropped because stderr did not keep up (the next line written says how many).",
        m.log_lines_dropped);
  return w.take();
}

}  // namespace chronohook::admin

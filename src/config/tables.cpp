// The [server], [storage], [log] and [retention] tables. The key names and
// ranges are a public contract, documented in docs/configuration.md and
// config/chronohook.toml; change all three together.
#include "tables.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "chronohook/event_reader.hpp"
#include "env_overrides.hpp"
#include "listen.hpp"
#include "messages.hpp"

namespace chronohook::config_detail {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMinTimeoutMs = 100;
constexpr std::int64_t kMaxTimeoutMs = 3'600'000;

// An age key ("30d", "1h") through parse_age, the CLI's spelling, with a
// bound. Leaves `out` alone when the key is absent.
template <typename Out>
void read_age(Section& s, std::string_view key, std::chrono::seconds min, std::chrono::seconds max, Out& out) {
  if (!s.has(key)) return;
  std::string text;
  s.read(key, text);
  if (!s.ok()) return;
  auto age = parse_age(text);
  if (!age) {
    s.fail("config: " + s.where(key) + " is " + in_quotes(text) + ": " + age.error().message);
  } else if (*age < min || *age > max) {
    s.fail("config: " + s.where(key) + " is " + in_quotes(text) + ": use between " + std::to_string(min.count()) +
           "s and " + std::to_string(max.count() / 86400) + "d");
  } else {
    out = *age;
  }
}

}  // namespace

void read_server(Section& s, const fs::path& base, ServerConfig& out) {
  if (s.has("listen")) {
    std::string text;
    s.read("listen", text);
    if (s.ok()) {
      if (auto problem = parse_listen(text, out.listen)) {
        s.fail("config: " + s.where("listen") + " is " + in_quotes(text) + ": " + *problem);
      }
    }
  }
  s.read("tls", out.tls);
  s.read_path("tls_cert", base, out.tls_cert);
  s.read_path("tls_key", base, out.tls_key);
  s.read("threads", 0, 256, out.threads);
  s.read("max_connections", 1, 1'000'000, out.max_connections);
  s.read("max_connections_per_source", 0, 1'000'000, out.max_connections_per_source);
  s.read("max_body_bytes", 1024, 64 * 1024 * 1024, out.max_body_bytes);
  s.read("max_header_bytes", 1024, 1024 * 1024, out.max_header_bytes);
  s.read("max_msg_bytes", 1, 65536, out.max_msg_bytes);
  s.read("handshake_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.handshake_timeout);
  s.read("header_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.header_timeout);
  s.read("body_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.body_timeout);
  s.read("idle_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.idle_timeout);
  s.read("write_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.write_timeout);
  s.read("shutdown_timeout_ms", kMinTimeoutMs, kMaxTimeoutMs, out.shutdown_timeout);
  s.read("verify_rate_per_minute", 1, 100'000, out.verify_rate_per_minute);
  s.read("verify_rate_per_minute_per_source", 1, 100'000, out.verify_rate_per_minute_per_source);
}

void read_storage(Section& s, const fs::path& base, StorageConfig& out) {
  s.read_path("path", base, out.path);
  if (s.has("synchronous")) {
    std::string text;
    s.read("synchronous", text);
    if (text == "full") {
      out.synchronous = Synchronous::kFull;
    } else if (text == "normal") {
      out.synchronous = Synchronous::kNormal;
    } else if (s.ok()) {
      s.fail("config: " + s.where("synchronous") + " is " + in_quotes(text) + ": use \"full\" or \"normal\"");
    }
  }
  s.read("busy_timeout_ms", 0, 600'000, out.busy_timeout);
  s.read("queue_capacity", 1, 1'000'000, out.queue_capacity);
  s.read("max_batch", 1, 10'000, out.max_batch);
  if (s.has("file_mode")) {
    std::string text;
    s.read("file_mode", text);
    if (text == "0600" || text == "600") {
      out.file_mode = 0600;
    } else if (text == "0640" || text == "640") {
      out.file_mode = 0640;
    } else if (s.ok()) {
      s.fail("config: " + s.where("file_mode") + " is " + in_quotes(text) + ": use \"0600\" (the owner only) or " +
             "\"0640\" (the file's group may read, for a consumer account); the database holds patient data, so it " +
             "is never readable by others, and consumers only read, so the group never writes");
    }
  }
}

void read_log(Section& s, LogConfig& out) {
  static constexpr std::array<std::string_view, 7> kLevels{"trace", "debug",    "info", "warn",
                                                           "error", "critical", "off"};
  if (s.has("level")) {
    std::string text;
    s.read("level", text);
    if (s.ok() && std::find(kLevels.begin(), kLevels.end(), text) == kLevels.end()) {
      s.fail("config: " + s.where("level") + " is " + in_quotes(text) +
             ": use trace, debug, info, warn, error, critical or off");
    }
    if (s.ok()) out.level = text;
  }
  s.read("access_log", out.access_log);
  if (s.has("format")) {
    std::string text;
    s.read("format", text);
    if (text == "text") {
      out.format = LogFormat::kText;
    } else if (text == "json") {
      out.format = LogFormat::kJson;
    } else if (s.ok()) {
      s.fail("config: " + s.where("format") + " is " + in_quotes(text) +
             ": use \"text\" (one line per entry) or \"json\" (one JSON object per line, for a log collector)");
    }
  }
}

void read_retention(Section& s, bool table_present, RetentionConfig& out, std::vector<std::string>& warnings) {
  const bool env_sets_a_key =
      std::any_of(kRetentionKeys.begin(), kRetentionKeys.end(), [&](std::string_view key) { return s.from_env(key); });
  out.enabled = table_present || env_sets_a_key;
  if (!out.enabled) return;
  read_age(s, "max_age", std::chrono::seconds(1), std::chrono::seconds(100LL * 365 * 86400), out.max_age);
  if (s.has("max_events")) {
    std::int64_t max_events = 0;
    s.read("max_events", 1, 1'000'000'000'000, max_events);
    if (s.ok()) out.max_events = static_cast<std::uint64_t>(max_events);
  }
  s.read("keep_unacknowledged", out.keep_unacknowledged);
  read_age(s, "interval", std::chrono::seconds(1), std::chrono::seconds(7 * 86400), out.interval);
  s.read("batch_size", 1, 100'000, out.batch_size);
  if (!s.ok()) return;
  // A table that limits nothing deletes nothing: surely not what was meant.
  if (!out.max_age && !out.max_events) {
    s.fail(
        "config: [retention] sets neither max_age nor max_events, so it would delete nothing: add max_age = "
        "\"30d\" and/or max_events = 1000000, or remove the table to keep every event");
    return;
  }
  if (!out.keep_unacknowledged) {
    warnings.push_back(
        "[retention] keep_unacknowledged = false: retention may delete events that a configured [[consumer]] has "
        "not acknowledged yet");
  }
}

}  // namespace chronohook::config_detail

// The [server], [storage] and [log] tables. The key names and ranges are a
// public contract, documented in docs/configuration.md and
// config/chronohook.toml; change all three together.
#include "tables.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "listen.hpp"
#include "messages.hpp"

namespace chronohook::config_detail {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMinTimeoutMs = 100;
constexpr std::int64_t kMaxTimeoutMs = 3'600'000;

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
}

}  // namespace chronohook::config_detail

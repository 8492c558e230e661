// The daemon with its pull API on: an [admin] table, a few consumers, and a
// client that speaks to the admin listener with a consumer's token.
// nlohmann stays in admin_api.cpp: test files get seqs and fields.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/daemon.hpp"

namespace chronohook::testing {

// Synthetic tokens, long enough for the 16-byte minimum.
inline constexpr std::string_view kBillingToken = "bb-billing-token-4f2a9e17c03d";
inline constexpr std::string_view kSyncToken = "bb-sync-token-8d61b0e4a9f5";

struct AdminOptions {
  bool tls = false;  // plain HTTP on 127.0.0.1, or TLS with the daemon's test certificate
  std::string listen = "127.0.0.1:0";
  unsigned readers = 2;
  std::string extra_admin_toml;  // more [admin] lines
};

// The usual test config plus [admin] and two consumers, billing and sync
// (and `extra` consumers' TOML, appended as is).
std::string admin_config(const AdminOptions& admin = {}, const ConfigOptions& options = {},
                         std::string_view extra = {});

// The admin listener's port, from the daemon's "admin api on" line.
std::uint16_t admin_port(const Daemon& daemon);

// Options for connecting to the admin listener.
ClientOptions admin_client_options(const Daemon& daemon, bool tls,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A request to the admin API with `token` as Bearer (none when empty).
Request admin_request(std::string_view method, std::string_view target, std::string_view token = kBillingToken,
                      std::string_view body = "");

// The seq of every event in a page ({"events":[...]}), in order.
std::vector<std::int64_t> page_seqs(std::string_view body);
// The events of a page, each as its JSON text.
std::vector<std::string> page_events(std::string_view body);
std::optional<std::int64_t> page_next_after(std::string_view body);
// A field of an event object (string fields as their text; numbers as decimal).
std::optional<std::string> json_field_text(std::string_view object, std::string_view key);
// The payload object of an event, re-serialized compactly.
std::optional<std::string> payload_of(std::string_view event);
// A JSON text re-serialized compactly, to compare with payload_of().
std::string compact_json(std::string_view json);

// Sends `count` hooks signed with the main secret; returns their seqs.
std::vector<std::int64_t> send_hooks(const Daemon& daemon, int count, std::string_view event = "APPOINTMENT_CREATE");

}  // namespace chronohook::testing

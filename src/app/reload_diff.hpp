// What a reload may change while the daemon runs, and what needs a restart.
// Pure functions over two configurations; reload.cpp applies the result.
#pragma once

#include <string>
#include <vector>

#include "chronohook/config.hpp"

namespace chronohook::app {

// A setting that changed in the file but is fixed while the daemon runs.
// Values are shown only for settings that hold no secret (all of these).
struct FixedChange {
  std::string setting;  // "server.listen", "webhook.main.path", "consumer.audit"
  std::string from;     // "127.0.0.1:8443", or "(none)" for an added webhook/consumer
  std::string to;       // "127.0.0.1:9000", or "(none)" for a removed one
};

// Every setting that differs between `running` and `next` and cannot be
// applied live: listeners (address, TLS on or off, [admin] added or
// removed), threads, connection and size limits, timeouts, verification
// rates, [storage], [retention], log.access_log, and which webhooks (name
// and path) and consumers exist. Secrets, previous secrets, verify, consumer
// tokens, certificate paths and log.level are live and never listed here.
std::vector<FixedChange> fixed_changes(const Config& running, const Config& next);

// True when the two webhooks accept the same secrets (current first, then
// previous, compared by digest) and answer verification alike.
bool same_credentials(const WebhookConfig& a, const WebhookConfig& b);

}  // namespace chronohook::app

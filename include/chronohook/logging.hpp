// Logging. One logger: to the journal, natively, when systemd connected
// stderr to it (JOURNAL_STREAM); otherwise to stderr, as text or JSON lines
// (a container runtime or a supervisor collects it). Nothing here takes a
// body, a secret or a query string; the access line takes only the fields
// below, each already validated or sanitized.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"

namespace chronohook::logging {

// Installs the process logger, written by a logging thread of its own. To the
// journal: one entry per line with its syslog priority, the message alone.
// To stderr: "<UTC time with ms> <level> <message>" lines, or with kJson one
// {"time","level","message"} object per line.
Status init(std::string_view level, LogFormat format = LogFormat::kText);

// Writes every queued line and stops the logging thread. Call before exit.
void shutdown();

// Lines lost because stderr or the journal could not keep up (a stalled pipe
// or journald): logging never makes a request wait, it drops and counts.
std::uint64_t dropped_lines();

struct AccessEntry {
  std::string_view method;
  std::string_view path;  // without the query: msg never reaches a log
  int status = 0;
  std::string_view webhook;
  std::string_view event;
  std::string_view delivery;
  std::size_t bytes_in = 0;   // request body bytes read
  std::size_t bytes_out = 0;  // response body bytes
  std::chrono::microseconds latency{0};
  std::string_view peer;
};

void access(const AccessEntry& entry);

// Printable ASCII only, at most `max` bytes; anything else becomes '?'. For
// request fields the sender controls (path, method) before they are logged.
std::string sanitize(std::string_view text, std::size_t max = 128);

}  // namespace chronohook::logging

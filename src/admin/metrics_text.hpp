// GET /metrics: the Prometheus text exposition format (version 0.0.4) of
// a snapshot of the daemon's counters and state. Pure: the snapshot is
// taken by the session (status.cpp). Every label value comes from a bounded
// set chronohook chose (webhook names from the config, status codes, event
// names from the known list): never a delivery id, a payload byte or a token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "admin/health.hpp"
#include "chronohook/counters.hpp"

namespace chronohook::admin {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct MetricsSnapshot {
  CountersSnapshot counters;
  Health health;
  bool ready = false;
  std::size_t admin_connections = 0;
  std::optional<std::uint64_t> database_bytes;  // absent when stat() failed
  std::optional<std::uint64_t> wal_bytes;       // absent when there is no -wal file
  std::uint64_t log_lines_dropped = 0;
  std::string version;
};

std::string render_metrics(const MetricsSnapshot& snapshot);

}  // namespace chronohook::admin

// The snapshots /readyz and /metrics are judged and rendered from: taken on
// the session's I/O thread from the clock, the store's atomics and the
// listeners' counts. Private to src/admin.
#pragma once

#include "admin/health.hpp"
#include "admin/metrics_text.hpp"
#include "admin/shared.hpp"

namespace chronohook::admin {

Health take_health(Shared& shared);
// Also stat()s the database and its -wal for their sizes.
MetricsSnapshot take_metrics(Shared& shared);

}  // namespace chronohook::admin

// Private to src/log: where the logging thread writes. Each sink runs only on
// that thread and never blocks it for long: a destination that stops reading
// (a hung pipe reader, a stopped journald) costs at most kStallTimeoutMs, then
// lines are dropped at once while it stays stalled, counted, and reported by
// the first line that gets through afterwards.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/async.h>  // thread_pool.h needs async_logger.h first
#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>

namespace chronohook::logging::detail {

inline constexpr int kStallTimeoutMs = 500;

// stderr in batches, each line formatted by the logger's formatter.
std::shared_ptr<spdlog::sinks::sink> make_stderr_sink(spdlog::details::thread_pool* pool);

// The journal's native socket (/run/systemd/journal/socket), one datagram per
// entry with PRIORITY and SYSLOG_IDENTIFIER; the message alone, since the
// journal keeps its own time. nullptr when the socket cannot be reached.
std::shared_ptr<spdlog::sinks::sink> make_journal_sink(spdlog::details::thread_pool* pool,
                                                       std::string_view socket_path = "/run/systemd/journal/socket");

// Line formats for stderr.
// "2026-12-06T20:36:12.123Z info message"
std::unique_ptr<spdlog::formatter> make_text_formatter();
// {"time":"2026-12-06T20:36:12.123Z","level":"info","message":"..."}
std::unique_ptr<spdlog::formatter> make_json_formatter();
// "<6>message": for a stderr systemd reads as a stream, when its native
// socket cannot be reached; systemd takes the priority from the prefix.
std::unique_ptr<spdlog::formatter> make_journal_stream_formatter();

// True when `journal_stream` (the value of $JOURNAL_STREAM, "device:inode"
// in decimal) names the file stderr is open on: systemd connected stderr to
// the journal, and the process has not been handed another stderr since.
bool stderr_is_journal_stream(std::string_view journal_stream);

// syslog(3) priority of a level: 7 debug .. 2 critical.
int syslog_priority(spdlog::level::level_enum level);

// Appends `text` as the inside of a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
void append_json_escaped(std::string_view text, spdlog::memory_buf_t& out);

}  // namespace chronohook::logging::detail

#include "chronohook/logging.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include <spdlog/async.h>
#include <spdlog/spdlog.h>

#include "log/losses.hpp"
#include "log/sinks.hpp"

namespace chronohook::logging {
namespace {

constexpr std::size_t kQueueLines = 1024;  // each slot is preallocated (~300 bytes)

// Lines lost on the way out: overrun in the queue or dropped by the sink.
std::atomic<std::uint64_t> g_dropped{0};

}  // namespace

void detail::count_dropped(std::uint64_t lines) {
  g_dropped.fetch_add(lines, std::memory_order_relaxed);
}

Status init(std::string_view level, LogFormat format) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Error{"log: unknown level \"" + sanitize(level, 32) +
                 "\": use trace, debug, info, warn, error, critical or off"};
  }
  // Lines are written by one logging thread, so an I/O thread never waits on
  // the write to stderr or the journal. Nor on a full queue: it drops its
  // oldest line rather than make a request wait (src/log/sinks.hpp).
  spdlog::init_thread_pool(kQueueLines, 1);
  spdlog::details::thread_pool* pool = spdlog::thread_pool().get();

  // Under systemd, entries go to the journal with their priority and the
  // journal's own timestamp. JOURNAL_STREAM alone is not enough: a stderr
  // redirected since (by a wrapper script, a pipe) no longer goes there.
  std::shared_ptr<spdlog::sinks::sink> sink;
  std::unique_ptr<spdlog::formatter> formatter;
  const char* journal_stream = std::getenv("JOURNAL_STREAM");
  if (journal_stream != nullptr && detail::stderr_is_journal_stream(journal_stream)) {
    sink = detail::make_journal_sink(pool);
    // No native socket (a mount namespace without it): the stream still
    // reaches the journal, which reads the priority from a "<N>" prefix.
    if (!sink) formatter = detail::make_journal_stream_formatter();
  } else {
    formatter = format == LogFormat::kJson ? detail::make_json_formatter() : detail::make_text_formatter();
  }
  if (!sink) sink = detail::make_stderr_sink(pool);
  auto logger = std::make_shared<spdlog::async_logger>("chronohook", std::move(sink), spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::overrun_oldest);
  if (formatter) logger->set_formatter(std::move(formatter));
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

void shutdown() {
  // The flush travels through the queue behind every line already logged.
  if (auto logger = spdlog::default_logger()) logger->flush();
  spdlog::shutdown();
}

std::uint64_t dropped_lines() {
  return g_dropped.load(std::memory_order_relaxed);
}

std::string sanitize(std::string_view text, std::size_t max) {
  std::string out;
  const std::size_t n = std::min(text.size(), max);
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    out.push_back(c >= 0x21 && c <= 0x7e ? c : '?');
  }
  if (text.size() > max) out += "...";
  return out;
}

void access(const AccessEntry& e) {
  auto dash = [](std::string_view s) { return s.empty() ? std::string_view("-") : s; };
  spdlog::info(
      "access method={} path={} status={} webhook={} event={} delivery={} bytes_in={} bytes_out={} "
      "latency_us={} peer={}",
      sanitize(e.method, 16), sanitize(e.path), e.status, dash(e.webhook), dash(e.event),
      e.delivery.empty() ? std::string("-") : sanitize(e.delivery), e.bytes_in, e.bytes_out, e.latency.count(),
      dash(e.peer));
}

}  // namespace chronohook::logging

#include "chronohook/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace chronohook::logging {
namespace {
constexpr std::size_t kQueueLines = 1024;  // each slot is preallocated (~300 bytes)
}  // namespace

Status init(std::string_view level) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Error{"log: unknown level \"" + sanitize(level, 32) +
                 "\": use trace, debug, info, warn, error, critical or off"};
  }
  // Lines are written by one logging thread, so an I/O thread never waits on
  // the write to stderr (or journald's socket behind it). A full queue makes
  // callers wait rather than drop lines.
  spdlog::init_thread_pool(kQueueLines, 1);
  auto logger = std::make_shared<spdlog::async_logger>("chronohook", std::make_shared<spdlog::sinks::stderr_sink_mt>(),
                                                       spdlog::thread_pool(), spdlog::async_overflow_policy::block);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

void shutdown() {
  spdlog::shutdown();
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

// How a line looks: text or JSON on stderr, or a syslog-prefixed message on a
// stderr systemd reads; and whether stderr is the journal's at all.
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <ctime>

#include <spdlog/pattern_formatter.h>

#include "log/sinks.hpp"

namespace chronohook::logging::detail {
namespace {

void append(spdlog::memory_buf_t& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

// "2026-12-06T20:36:12.123Z", as the text lines and the database write it.
void append_utc_millis(spdlog::log_clock::time_point when, spdlog::memory_buf_t& out) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(since_epoch.count() / 1000);
  const int millis = static_cast<int>(since_epoch.count() % 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  append(out, std::string_view(text, n));
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", millis);
  append(out, ms);
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0 (RFC 3629:
// no overlong forms, no surrogates, nothing past U+10FFFF).
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    append(dest, R"({"time":")");
    append_utc_millis(msg.time, dest);
    append(dest, R"(","level":")");
    const auto level = spdlog::level::to_string_view(msg.level);
    append(dest, std::string_view(level.data(), level.size()));
    append(dest, R"(","message":")");
    append_json_escaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    append(dest, "\"}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

class JournalStreamFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    dest.push_back('<');
    dest.push_back(static_cast<char>('0' + syslog_priority(msg.level)));
    dest.push_back('>');
    // One line per entry: systemd would split at a newline and lose the
    // priority for the rest.
    for (const char c : std::string_view(msg.payload.data(), msg.payload.size())) dest.push_back(c == '\n' ? ' ' : c);
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JournalStreamFormatter>(); }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_text_formatter() {
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
}

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<JsonFormatter>();
}

std::unique_ptr<spdlog::formatter> make_journal_stream_formatter() {
  return std::make_unique<JournalStreamFormatter>();
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;  // LOG_DEBUG
    case spdlog::level::info:
      return 6;  // LOG_INFO
    case spdlog::level::warn:
      return 4;  // LOG_WARNING
    case spdlog::level::err:
      return 3;  // LOG_ERR
    case spdlog::level::critical:
      return 2;  // LOG_CRIT
    default:
      return 6;
  }
}

void append_json_escaped(std::string_view text, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (const std::size_t n = utf8_sequence(text.substr(i)); n > 0) {
        append(out, text.substr(i, n));
        i += n;
      } else {
        append(out, "\\ufffd");
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        append(out, "\\\"");
        break;
      case '\\':
        append(out, "\\\\");
        break;
      case '\n':
        append(out, "\\n");
        break;
      case '\r':
        append(out, "\\r");
        break;
      case '\t':
        append(out, "\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          append(out, "\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

bool stderr_is_journal_stream(std::string_view journal_stream) {
  // "<device>:<inode>", both decimal, as systemd.exec(5) documents.
  const std::size_t colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view device_text = journal_stream.substr(0, colon);
  const std::string_view inode_text = journal_stream.substr(colon + 1);
  unsigned long long device = 0;
  unsigned long long inode = 0;
  const auto parse = [](std::string_view text, unsigned long long& value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return !text.empty() && error == std::errc() && end == text.data() + text.size();
  };
  if (!parse(device_text, device) || !parse(inode_text, inode)) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device && static_cast<unsigned long long>(st.st_ino) == inode;
}

}  // namespace chronohook::logging::detail

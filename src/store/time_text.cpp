// Times as people and scripts write them, turned into the one form
// received_at is stored in, so a bound compares with it as text.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "chronohook/event_reader.hpp"

namespace chronohook {
namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

constexpr const char* kExpected =
    "expected RFC 3339 (2026-11-29T06:57:22Z, 2026-11-29T08:57:22.5+02:00), a date (2026-11-29) or an age "
    "(90s, 15m, 2h, 7d)";

// Parses RFC 3339 or a bare date into milliseconds since the epoch.
Result<std::int64_t> parse_rfc3339(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day)) {
    return Error{kExpected};
  }
  std::size_t at = 10;
  std::int64_t millis = 0;
  int offset_minutes = 0;
  if (at < s.size()) {
    if ((s[at] != 'T' && s[at] != 't' && s[at] != ' ') || !digits(s, at + 1, 2, hour) || s.size() < at + 9 ||
        s[at + 3] != ':' || !digits(s, at + 4, 2, minute) || s[at + 6] != ':' || !digits(s, at + 7, 2, second)) {
      return Error{kExpected};
    }
    at += 9;
    if (at < s.size() && s[at] == '.') {
      ++at;
      std::size_t n = 0;
      int scale = 100;
      while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
        if (scale > 0) millis += (s[at] - '0') * scale;
        scale /= 10;
        ++at;
        ++n;
      }
      if (n == 0) return Error{kExpected};
    }
    if (at >= s.size()) return Error{kExpected + std::string(": a time needs Z or an offset such as +02:00")};
    if (s[at] == 'Z' || s[at] == 'z') {
      ++at;
    } else if (s[at] == '+' || s[at] == '-') {
      int oh = 0, om = 0;
      if (!digits(s, at + 1, 2, oh) || s.size() < at + 6 || s[at + 3] != ':' || !digits(s, at + 4, 2, om)) {
        return Error{kExpected};
      }
      offset_minutes = (oh * 60 + om) * (s[at] == '-' ? -1 : 1);
      at += 6;
    } else {
      return Error{kExpected};
    }
    if (at != s.size()) return Error{kExpected};
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return Error{kExpected + std::string(": a field is out of range")};
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  // timegm normalises 2026-02-31 into March: refuse a date that moved.
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != day && second != 60) return Error{kExpected + std::string(": no such date")};
  return (static_cast<std::int64_t>(t) - static_cast<std::int64_t>(offset_minutes) * 60) * 1000 + millis;
}

}  // namespace

Result<std::chrono::seconds> parse_age(std::string_view text) {
  constexpr const char* kAge = "expected an age: a positive whole number and a unit, s, m, h or d (30d, 12h)";
  if (text.size() < 2 || text.size() > 12) return Error{kAge};
  std::int64_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return Error{kAge};
    n = n * 10 + (text[i] - '0');
  }
  if (n <= 0) return Error{kAge};
  switch (text.back()) {
    case 's':
      return std::chrono::seconds(n);
    case 'm':
      return std::chrono::seconds(n * 60);
    case 'h':
      return std::chrono::seconds(n * 3600);
    case 'd':
      return std::chrono::seconds(n * 86400);
    default:
      return Error{kAge};
  }
}

namespace {

// The stored form from milliseconds since the epoch: a system_clock
// time_point counts nanoseconds and overflows past 2262 (and 2262 years
// before now), so bounds are formatted from milliseconds instead.
std::string format_millis(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int millis = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::string utc_millis(std::chrono::system_clock::time_point t) {
  return format_millis(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

Result<std::string> parse_time_bound(std::string_view text, std::chrono::system_clock::time_point now) {
  if (!text.empty() && text.back() >= 'a' && text.back() <= 'z' && text.find('-') == std::string_view::npos) {
    auto age = parse_age(text);
    if (!age) return Error{kExpected};
    // At most 99999999999d: in milliseconds that still fits an int64. An
    // age before the epoch means everything.
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    return format_millis(std::max<std::int64_t>(0, now_ms - age->count() * 1000));
  }
  auto millis = parse_rfc3339(text);
  if (!millis) return millis.error();
  return format_millis(*millis);
}

}  // namespace chronohook

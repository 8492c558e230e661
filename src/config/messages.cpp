// Keeping secrets out of configuration messages, and saying what is wrong
// with a secret without showing it.
#include "messages.hpp"

#include <cstdio>

namespace chronohook::config_detail {
namespace {

constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

// Every key of the schema is lower-case words joined by '_', no digits. A
// short run of letters is a misspelt key; a long one is shown only in the
// schema's own shape, which random tokens (hex, base64) practically never
// take. The shortest accepted secret is 16 bytes.
bool looks_like_key(std::string_view key) {
  if (key.empty() || key.size() > 40) return false;
  if (key.size() < 16) return key.find_first_not_of(std::string(kLetters) + "_-") == std::string_view::npos;
  return key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos &&
         key.find('_') != std::string_view::npos;
}

// Lines first..last (1-based) of text, newlines included.
std::string_view lines(std::string_view text, std::size_t first, std::size_t last) {
  std::size_t begin = 0;
  std::size_t n = 1;
  for (; n < first; ++n) {
    const std::size_t newline = text.find('\n', begin);
    if (newline == std::string_view::npos) return {};
    begin = newline + 1;
  }
  std::size_t end = begin;
  for (; n <= last && end < text.size(); ++n) {
    const std::size_t newline = text.find('\n', end);
    end = newline == std::string_view::npos ? text.size() : newline + 1;
  }
  return text.substr(begin, end - begin);
}

std::string_view whitespace_name(char c) {
  switch (c) {
    case ' ':
      return "a space";
    case '\t':
      return "a tab";
    case '\n':
      return "a newline";
    case '\r':
      return "a carriage return";
    default:
      return "whitespace";
  }
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string key_for_message(std::string_view key) {
  if (looks_like_key(key)) return in_quotes(key);
  return "of " + std::to_string(key.size()) +
         " bytes (not shown: it does not look like a key name and could be a secret typed where a key belongs)";
}

// toml++ quotes the text it choked on, and that may be the start of a secret
// (`secret = abc...` without quotes), so every quoted fragment longer than a
// character that occurs in the offending lines is blanked; the line and
// column still point at it. Redefinition errors quote keys, which stay when
// they look like key names (a secret typed twice as a key does not).
std::string describe_parse_error(const toml::parse_error& e, std::string_view text) {
  const std::size_t line = e.source().begin.line;
  std::string_view context = lines(text, line > 1 ? line - 1 : 1, line + 1);
  if (context.empty()) context = text;

  std::string description(e.description());
  const bool quotes_keys = description.find("cannot redefine") != std::string::npos;
  std::string cleaned;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t open = description.find('\'', pos);
    const std::size_t close = open == std::string::npos ? open : description.find('\'', open + 1);
    if (close == std::string::npos) break;
    const std::string_view fragment = std::string_view(description).substr(open + 1, close - open - 1);
    const bool from_input = fragment.size() > 1 && context.find(fragment) != std::string_view::npos;
    const bool keep = !from_input || (quotes_keys && looks_like_key(fragment));
    cleaned += description.substr(pos, open + 1 - pos);
    cleaned += keep ? fragment : "...";
    cleaned += '\'';
    pos = close + 1;
  }
  description = cleaned + description.substr(pos);
  return "config: TOML syntax error at line " + std::to_string(line) + ", column " +
         std::to_string(e.source().begin.column) + ": " + description;
}

// drchrono sends the secret itself as a header value. HTTP strips a header
// value's leading and trailing spaces and tabs and cannot carry CR, LF, NUL
// or other control characters at all, so a secret with any of them can never
// match. Bytes above 0x7f are obs-text to HTTP: how drchrono would encode
// them is undocumented (it suggests 40 hex characters), so they are refused
// too rather than failing every hook later.
std::optional<std::string> secret_shape_problem(std::string_view secret) {
  if (secret.empty()) return std::nullopt;  // the length check speaks to that
  if (is_ascii_space(secret.front())) return "starts with " + std::string(whitespace_name(secret.front()));
  if (is_ascii_space(secret.back())) return "ends with " + std::string(whitespace_name(secret.back()));
  for (char c : secret) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r') return std::string("contains a line break");
    if (c != '\t' && (u < 0x20 || u == 0x7f)) return std::string("contains a control character");
    if (u >= 0x80) return std::string("contains a non-ASCII byte");
  }
  return std::nullopt;
}

}  // namespace chronohook::config_detail

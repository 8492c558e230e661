// A single-pass JSON validator that also picks out the three ids the store
// indexes. Hand-written because it runs on every hook: nlohmann's SAX parser
// copied every string byte into a std::string and cost a sixth of a request's
// CPU. It accepts exactly what nlohmann's strict parser accepts (RFC 8259,
// UTF-8 checked, a leading BOM tolerated); tests/unit/payload_test.cpp holds
// the nlohmann-based scanner as the reference and compares the two.
#include "chronohook/payload.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace chronohook {
namespace {

constexpr const char* kNotJson = "the body is not valid JSON";

// Where the scanner stands relative to the values it keeps.
enum class Slot { kNone, kObjectId, kObjectPatient, kPracticeGroup };

class Scanner {
 public:
  Scanner(std::string_view text, std::size_t max_depth) : p_(text.data()), end_(text.data() + text.size()) {
    max_depth_ = max_depth;
  }

  Result<PayloadFacts> run() {
    skip_bom();
    skip_ws();
    if (p_ == end_) return Error{kNotJson};
    if (*p_ == '[') return Error{"the body is a JSON array; a JSON object is required"};
    if (*p_ != '{') {
      // Tell a valid scalar from garbage only for a better message.
      return Error{value(Slot::kNone) && (skip_ws(), p_ == end_)
                       ? "the body is a JSON scalar; a JSON object is required"
                       : kNotJson};
    }
    if (!object()) return Error{problem_ ? problem_ : kNotJson};
    skip_ws();
    if (p_ != end_) return Error{kNotJson};
    return std::move(facts_);
  }

 private:
  void skip_bom() {
    if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF && static_cast<unsigned char>(p_[1]) == 0xBB &&
        static_cast<unsigned char>(p_[2]) == 0xBF) {
      p_ += 3;
    }
  }

  void skip_ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool consume(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  // Containers nest through an explicit stack, never through recursion, so
  // depth costs memory we bound, not native stack.
  bool enter() {
    if (++depth_ > max_depth_) {
      problem_ = depth_problem();
      return false;
    }
    return true;
  }

  const char* depth_problem() {
    depth_message_ = "the body nests deeper than " + std::to_string(max_depth_) + " levels";
    return depth_message_.c_str();
  }

  // Parses the object or array at p_ and everything inside it.
  bool object() {
    // Each frame remembers whether it is an object and whether it is the
    // payload's "object" member (whose id and patient we keep).
    struct Frame {
      bool is_object;
      bool is_payload_object;
    };
    std::vector<Frame> stack;
    stack.reserve(16);

    auto open = [&](bool is_object, bool is_payload_object) {
      if (!enter()) return false;
      ++p_;
      stack.push_back(Frame{is_object, is_payload_object});
      return true;
    };
    if (!open(true, false)) return false;

    bool expect_first = true;  // just after '{' or '['
    while (!stack.empty()) {
      const Frame frame = stack.back();
      skip_ws();
      if (p_ == end_) return false;
      const char closer = frame.is_object ? '}' : ']';
      if (expect_first && *p_ == closer) {
        ++p_;
        stack.pop_back();
        --depth_;
        expect_first = false;
        continue;
      }
      if (!expect_first) {
        if (*p_ == closer) {
          ++p_;
          stack.pop_back();
          --depth_;
          continue;
        }
        if (*p_ != ',') return false;
        ++p_;
        skip_ws();
      }
      expect_first = false;

      Slot slot = Slot::kNone;
      bool value_is_payload_object = false;
      if (frame.is_object) {
        if (p_ == end_ || *p_ != '"') return false;
        std::string_view key;
        std::string decoded_key;
        if (!string_token(key, decoded_key)) return false;
        skip_ws();
        if (!consume(':')) return false;
        skip_ws();
        slot = slot_for(stack.size(), frame.is_payload_object, key);
        value_is_payload_object = stack.size() == 1 && key == "object";
      }
      if (p_ == end_) return false;
      if (*p_ == '{' || *p_ == '[') {
        if (!open(*p_ == '{', value_is_payload_object && *p_ == '{')) return false;
        expect_first = true;
        continue;
      }
      if (!value(slot)) return false;
    }
    return true;
  }

  // Which kept value, if any, the member `key` of a container at `depth` is.
  static Slot slot_for(std::size_t depth, bool in_payload_object, std::string_view key) {
    if (depth == 1 && key == "practice_group_id") return Slot::kPracticeGroup;
    if (depth == 2 && in_payload_object) {
      if (key == "id") return Slot::kObjectId;
      if (key == "patient") return Slot::kObjectPatient;
    }
    return Slot::kNone;
  }

  std::optional<std::string>* target(Slot slot) {
    switch (slot) {
      case Slot::kObjectId:
        return &facts_.object_id;
      case Slot::kObjectPatient:
        return &facts_.object_patient;
      case Slot::kPracticeGroup:
        return &facts_.practice_group_id;
      case Slot::kNone:
        break;
    }
    return nullptr;
  }

  // A scalar value at p_; stores its text when `slot` keeps it.
  bool value(Slot slot) {
    if (p_ == end_) return false;
    std::optional<std::string>* out = target(slot);
    switch (*p_) {
      case '"': {
        std::string_view raw;
        std::string decoded;
        if (!string_token(raw, decoded)) return false;
        if (out) *out = std::string(raw);
        return true;
      }
      case 't':
        if (out) out->reset();
        return literal("true");
      case 'f':
        if (out) out->reset();
        return literal("false");
      case 'n':
        if (out) out->reset();
        return literal("null");
      default:
        return number(out);
    }
  }

  // A string token at p_ (which is '"'). `text` views its content: the raw
  // bytes when there is no escape, else `storage` holding the decoded bytes.
  bool string_token(std::string_view& text, std::string& storage) {
    ++p_;
    const char* start = p_;
    bool escaped = false;
    while (true) {
      // Fast path: plain printable ASCII.
      while (p_ != end_ && static_cast<unsigned char>(*p_) >= 0x20 && *p_ != '"' && *p_ != '\\' &&
             static_cast<unsigned char>(*p_) < 0x80) {
        ++p_;
      }
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x20) return false;
      if (c == '\\') {
        escaped = true;
        if (!skip_escape()) return false;
        continue;
      }
      if (!skip_utf8()) return false;
    }
    const char* stop = p_;
    ++p_;  // closing quote
    if (!escaped) {
      text = std::string_view(start, static_cast<std::size_t>(stop - start));
      return true;
    }
    storage.clear();
    decode(start, stop, storage);
    text = storage;
    return true;
  }

  bool skip_escape() {
    ++p_;  // backslash
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        ++p_;
        return true;
      case 'u': {
        const int unit = hex4(p_ + 1);
        if (unit < 0) return false;
        p_ += 5;
        if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a low surrogate alone
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          // A high surrogate must be followed by an escaped low surrogate.
          if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') return false;
          const int low = hex4(p_ + 2);
          if (low < 0xDC00 || low > 0xDFFF) return false;
          p_ += 6;
        }
        return true;
      }
      default:
        return false;
    }
  }

  int hex4(const char* at) const {
    if (end_ - at < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = at[i];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  // One multi-byte UTF-8 sequence at p_: shortest form, no surrogates, at
  // most U+10FFFF (the ranges of RFC 3629's table).
  bool skip_utf8() {
    const auto b0 = static_cast<unsigned char>(p_[0]);
    auto cont = [&](std::ptrdiff_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
      if (end_ - p_ <= i) return false;
      const auto b = static_cast<unsigned char>(p_[i]);
      return b >= lo && b <= hi;
    };
    std::ptrdiff_t len = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = cont(1) ? 2 : 0;
    } else if (b0 == 0xE0) {
      len = cont(1, 0xA0) && cont(2) ? 3 : 0;
    } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
      len = cont(1) && cont(2) ? 3 : 0;
    } else if (b0 == 0xED) {
      len = cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    } else if (b0 == 0xF0) {
      len = cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
      len = cont(1) && cont(2) && cont(3) ? 4 : 0;
    } else if (b0 == 0xF4) {
      len = cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    }
    if (len == 0) return false;
    p_ += len;
    return true;
  }

  // Decodes a validated string body [from, to) into `out`.
  void decode(const char* from, const char* to, std::string& out) const {
    while (from < to) {
      if (*from != '\\') {
        out.push_back(*from++);
        continue;
      }
      ++from;
      const char e = *from++;
      switch (e) {
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          unsigned cp = static_cast<unsigned>(hex4(from));
          from += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            const auto low = static_cast<unsigned>(hex4(from + 2));
            from += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(cp, out);
          break;
        }
        default:  // '"', '\\', '/'
          out.push_back(e);
      }
    }
  }

  static void append_utf8(unsigned cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number(std::optional<std::string>* out) {
    const char* start = p_;
    consume('-');
    if (p_ == end_ || !is_digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    return keep_number(std::string_view(start, static_cast<std::size_t>(p_ - start)), integral, out);
  }

  // Checks the number's magnitude the way nlohmann does (a value that does not
  // fit a double is refused) and keeps its text for an id: integers as their
  // decimal value, integers beyond 64 bits as sent, integral floats (4242.0,
  // 4.242e3) as the integer, other floats as sent.
  static bool keep_number(std::string_view raw, bool integral, std::optional<std::string>* out) {
    if (integral) {
      std::int64_t signed_value = 0;
      if (auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), signed_value);
          ec == std::errc() && ptr == raw.data() + raw.size()) {
        if (out) *out = std::to_string(signed_value);
        return true;
      }
      std::uint64_t unsigned_value = 0;
      if (auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), unsigned_value);
          ec == std::errc() && ptr == raw.data() + raw.size()) {
        if (out) *out = std::to_string(unsigned_value);
        return true;
      }
    }
    const std::string text(raw);
    const double value = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(value)) return false;
    if (out) {
      constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
      const bool whole = !integral && std::trunc(value) == value && std::fabs(value) < kExactIntegers;
      *out = whole ? std::to_string(static_cast<long long>(value)) : text;
    }
    return true;
  }

  const char* p_;
  const char* end_;
  std::size_t max_depth_ = 0;
  std::size_t depth_ = 0;
  const char* problem_ = nullptr;
  std::string depth_message_;
  PayloadFacts facts_;
};

}  // namespace

Result<PayloadFacts> scan_payload(std::string_view body, std::size_t max_depth) {
  return Scanner(body, max_depth).run();
}

}  // namespace chronohook

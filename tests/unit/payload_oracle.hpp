// The previous, nlohmann-based payload scanner, kept as the reference the
// hand-written scanner is compared against (differential tests). Test-only.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>

#include "chronohook/payload.hpp"

namespace chronohook::oracle {
namespace {

using json = nlohmann::json;

// An id written as a JSON number that nlohmann reads as a float: an integer
// beyond 64 bits keeps its digits, an integral value (4242.0, 4.242e3) becomes
// "4242", anything else (4242.5) keeps the text it was sent as.
inline std::optional<std::string> float_id_text(double value, const std::string& raw) {
  const bool digits_only = !raw.empty() && raw.find_first_not_of("-0123456789") == std::string::npos;
  if (digits_only) return raw;
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < kExactIntegers) {
    return std::to_string(static_cast<long long>(value));
  }
  return raw;
}

// SAX consumer: tracks depth and the path to the few values we keep.
// Returning false from any callback stops the parser at once.
class PayloadScanner final : public nlohmann::json_sax<json> {
 public:
  explicit PayloadScanner(std::size_t max_depth) : max_depth_(max_depth) {}

  PayloadFacts facts;
  std::string problem;

  bool null() override { return scalar(std::nullopt); }
  bool boolean(bool /*value*/) override { return scalar(std::nullopt); }
  bool number_integer(number_integer_t value) override { return scalar(std::to_string(value)); }
  bool number_unsigned(number_unsigned_t value) override { return scalar(std::to_string(value)); }
  bool number_float(number_float_t value, const string_t& raw) override { return scalar(float_id_text(value, raw)); }
  bool string(string_t& value) override { return scalar(std::move(value)); }
  bool binary(binary_t& /*value*/) override { return scalar(std::nullopt); }

  bool start_object(std::size_t /*elements*/) override {
    if (depth_ == 0) {
      top_is_object_ = true;
    } else if (depth_ == 1 && key_ == "object") {
      in_object_ = true;
    }
    return enter();
  }
  bool end_object() override {
    if (depth_ == 2) in_object_ = false;
    --depth_;
    return true;
  }
  bool start_array(std::size_t /*elements*/) override {
    if (depth_ == 0) return reject("the body is a JSON array; a JSON object is required");
    return enter();
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool key(string_t& value) override {
    key_ = std::move(value);
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*ex*/) override {
    // nlohmann's message quotes the offending token: payload bytes. Keep our own.
    if (problem.empty()) problem = "the body is not valid JSON";
    return false;
  }

  bool top_is_object() const { return top_is_object_; }

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      return reject("the body nests deeper than " + std::to_string(max_depth_) + " levels");
    }
    return true;
  }

  bool reject(std::string why) {
    problem = std::move(why);
    return false;
  }

  bool scalar(std::optional<std::string> text) {
    if (depth_ == 0) return reject("the body is a JSON scalar; a JSON object is required");
    if (depth_ == 1 && key_ == "practice_group_id") {
      facts.practice_group_id = std::move(text);
    } else if (depth_ == 2 && in_object_) {
      if (key_ == "id") {
        facts.object_id = std::move(text);
      } else if (key_ == "patient") {
        facts.object_patient = std::move(text);
      }
    }
    return true;
  }

  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::string key_;
  bool top_is_object_ = false;
  bool in_object_ = false;
};

}  // namespace

inline Result<PayloadFacts> reference_scan_payload(std::string_view body, std::size_t max_depth) {
  PayloadScanner scanner(max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(body.begin(), body.end(), &scanner, json::input_format_t::json, /*strict=*/true);
  } catch (const std::exception&) {
    ok = false;  // never forward the library's text: it may quote the body
  }
  if (!ok) return Error{scanner.problem.empty() ? "the body is not valid JSON" : scanner.problem};
  if (!scanner.top_is_object()) return Error{"the body is not a JSON object"};
  return std::move(scanner.facts);
}

}  // namespace chronohook::oracle

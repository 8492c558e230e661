#include "admin/query_params.hpp"

#include <algorithm>
#include <charconv>

#include "admin/handler.hpp"
#include "chronohook/query.hpp"

namespace chronohook::admin {
namespace {

constexpr std::size_t kMaxPatientBytes = 64;

// A parameter's name as a message may show it: only when it looks like one.
std::string shown(std::string_view name) {
  const bool plain = !name.empty() && name.size() <= 32 &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos;
  return plain ? "\"" + std::string(name) + "\"" : "with an unexpected name";
}

const std::string* single(const Params& params, std::string_view name, Status& st) {
  const std::string* found = nullptr;
  for (const auto& [key, value] : params) {
    if (key != name) continue;
    if (found != nullptr) {
      st = Error{std::string(name) + " is given more than once"};
      return nullptr;
    }
    found = &value;
  }
  return found;
}

Status read_integer(const Params& params, std::string_view name, std::int64_t min, std::int64_t max,
                    std::int64_t& out) {
  Status st;
  const std::string* text = single(params, name, st);
  if (!st || text == nullptr) return st;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || text->size() > 18 || ec != std::errc{} || end != text->data() + text->size() ||
      text->front() == '-' || value < min || value > max) {
    return Error{std::string(name) + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max)};
  }
  out = value;
  return Status::Ok();
}

}  // namespace

Result<Params> parse_query(std::string_view query, std::initializer_list<std::string_view> allowed) {
  Params out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    if (!name) return Error{"the query string is not well-formed: a '%' must be followed by two hex digits"};
    auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) {
      return Error{"the value of " + shown(*name) + " is not well-formed: a '%' must be followed by two hex digits"};
    }
    if (std::find(allowed.begin(), allowed.end(), *name) == allowed.end()) {
      std::string names;
      for (std::string_view a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      return Error{"unknown parameter " + shown(*name) + ": this endpoint takes " +
                   (names.empty() ? std::string("none") : names)};
    }
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

Status read_list_params(const Params& params, EventFilter& filter, std::chrono::seconds& wait, bool filters) {
  std::int64_t limit = static_cast<std::int64_t>(kDefaultLimit);
  if (auto st = read_integer(params, "limit", 1, static_cast<std::int64_t>(kMaxLimit), limit); !st) return st;
  filter.limit = static_cast<std::size_t>(limit);
  std::int64_t seconds = 0;
  if (auto st = read_integer(params, "wait", 0, kMaxWait.count(), seconds); !st) return st;
  wait = std::chrono::seconds(seconds);
  if (!filters) return Status::Ok();
  if (auto st = read_integer(params, "after", 0, INT64_MAX / 2, filter.after); !st) return st;
  Status st;
  if (const std::string* patient = single(params, "patient", st)) {
    if (patient->empty() || patient->size() > kMaxPatientBytes) {
      return Error{"patient must be a patient id of 1 to " + std::to_string(kMaxPatientBytes) + " bytes"};
    }
    filter.patient = *patient;
  }
  if (!st) return st;
  for (const auto& [key, value] : params) {
    if (key != "event") continue;
    std::string_view list = value;
    while (true) {
      const auto comma = list.find(',');
      const std::string_view name = list.substr(0, comma);
      if (name.empty() || name.size() > 65) {
        return Error{"event must be a list of event names, e.g. APPOINTMENT_CREATE or PATIENT_*"};
      }
      filter.events.emplace_back(name);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  // validate() speaks for the event patterns only here: the rest was checked above.
  if (!filter.validate()) {
    return Error{"event must be event names (letters, digits and '_'), each with an optional trailing '*'"};
  }
  return Status::Ok();
}

Status read_flag(const Params& params, std::string_view name, bool& out) {
  Status st;
  const std::string* text = single(params, name, st);
  if (!st || text == nullptr) return st;
  if (*text == "true" || *text == "1") {
    out = true;
  } else if (*text == "false" || *text == "0") {
    out = false;
  } else {
    return Error{std::string(name) + " must be true or false"};
  }
  return Status::Ok();
}

}  // namespace chronohook::admin

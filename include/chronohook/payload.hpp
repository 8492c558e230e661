// One pass over a hook body: is it a JSON object of bounded depth, and which
// ids does it carry for the store's filter columns. No DOM is built.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "chronohook/result.hpp"

namespace chronohook {

struct PayloadFacts {
  std::optional<std::string> object_id;          // object.id
  std::optional<std::string> object_patient;     // object.patient
  std::optional<std::string> practice_group_id;  // top-level practice_group_id
};

// Ids may arrive as JSON numbers or strings; both become their text ("4242";
// 4242.0 also becomes "4242"). Other kinds (null, bool, object, array) leave
// the field empty.
//
// Errors: not JSON, not an object at the top, or nested deeper than
// `max_depth` (the parser stops there, so 100 000 brackets cost nothing).
// Messages never quote the body.
Result<PayloadFacts> scan_payload(std::string_view body, std::size_t max_depth);

}  // namespace chronohook

// drchrono's event names: which are well-formed, which are known.
#pragma once

#include <cstddef>
#include <string_view>

namespace chronohook {

// [A-Z0-9_]{1,64}: the shape every drchrono event name has. Anything else is
// rejected; any name of this shape is accepted, known or not, because the
// list grows.
bool is_well_formed_event_name(std::string_view name);

// The 27 events of the API v4 documentation, the console's spelling
// PATIENT_FLAG_MODIFY beside the documented PATIENT_FLAG_CMODIFY, and PING.
bool is_known_event_name(std::string_view name);

// /metrics counts stored hooks by event with a bounded label set: the 27
// documented names and PING (PATIENT_FLAG_MODIFY counts as the documented
// PATIENT_FLAG_CMODIFY), and "other" for every other name.
inline constexpr std::size_t kEventMetricLabels = 28;
// The label's index; kEventMetricLabels ("other") for a name not known.
std::size_t event_metric_index(std::string_view name);
// The label of an index; "other" for kEventMetricLabels.
std::string_view event_metric_label(std::size_t index);

// Events whose object is the patient itself (patient id is object.id).
bool event_object_is_patient(std::string_view name);

}  // namespace chronohook

// drchrono's event names: which are well-formed, which are known.
#pragma once

#include <string_view>

namespace chronohook {

// [A-Z0-9_]{1,64}: the shape every drchrono event name has. Anything else is
// rejected; any name of this shape is accepted, known or not, because the
// list grows.
bool is_well_formed_event_name(std::string_view name);

// The 27 events of the API v4 documentation, the console's spelling
// PATIENT_FLAG_MODIFY beside the documented PATIENT_FLAG_CMODIFY, and PING.
bool is_known_event_name(std::string_view name);

// Events whose object is the patient itself (patient id is object.id).
bool event_object_is_patient(std::string_view name);

}  // namespace chronohook

#include "chronohook/event_names.hpp"

#include <algorithm>
#include <array>

namespace chronohook {
namespace {

constexpr std::array<std::string_view, 29> kKnownEvents = {
    "APPOINTMENT_CREATE",
    "APPOINTMENT_MODIFY",
    "APPOINTMENT_DELETE",
    "CASH_PAYMENT_DELETE",
    "CLINICAL_NOTE_LOCK",
    "CLINICAL_NOTE_UNLOCK",
    "LAB_ORDER_CREATE",
    "LAB_ORDER_MODIFY",
    "LAB_ORDER_DELETE",
    "LINE_ITEM_CREATE",
    "LINE_ITEM_MODIFY",
    "LINE_ITEM_DELETE",
    "LINE_ITEM_TRANSACTION_DELETE",
    "PATIENT_CREATE",
    "PATIENT_MODIFY",
    "PATIENT_ALLERGY_CREATE",
    "PATIENT_ALLERGY_MODIFY",
    "PATIENT_FLAG_CREATE",
    "PATIENT_FLAG_CMODIFY",  // the documentation's spelling
    "PATIENT_FLAG_MODIFY",   // the console's spelling of the same event
    "PATIENT_PROBLEM_CREATE",
    "PATIENT_PROBLEM_MODIFY",
    "PATIENT_MEDICATION_CREATE",
    "PATIENT_MEDICATION_MODIFY",
    "TASK_CREATE",
    "TASK_MODIFY",
    "TASK_DELETE",
    "VACCINE_ADMINISTERED",
    "PING",
};

// The known names without the console's alias: kKnownEvents but one.
constexpr std::string_view kAlias = "PATIENT_FLAG_MODIFY";
constexpr std::string_view kAliasOf = "PATIENT_FLAG_CMODIFY";

constexpr std::array<std::string_view, kEventMetricLabels> metric_labels() {
  std::array<std::string_view, kEventMetricLabels> out{};
  std::size_t n = 0;
  for (std::string_view name : kKnownEvents) {
    if (name != kAlias) out[n++] = name;
  }
  return out;
}
constexpr auto kMetricLabels = metric_labels();
static_assert(kKnownEvents.size() == kEventMetricLabels + 1, "one alias among the known names");

}  // namespace

std::size_t event_metric_index(std::string_view name) {
  if (name == kAlias) name = kAliasOf;
  const auto it = std::find(kMetricLabels.begin(), kMetricLabels.end(), name);
  return static_cast<std::size_t>(it - kMetricLabels.begin());
}

std::string_view event_metric_label(std::size_t index) {
  return index < kMetricLabels.size() ? kMetricLabels[index] : std::string_view("other");
}

bool is_well_formed_event_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool is_known_event_name(std::string_view name) {
  return std::find(kKnownEvents.begin(), kKnownEvents.end(), name) != kKnownEvents.end();
}

bool event_object_is_patient(std::string_view name) {
  return name == "PATIENT_CREATE" || name == "PATIENT_MODIFY";
}

}  // namespace chronohook

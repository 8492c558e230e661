#include "chronohook/event_names.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

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

// event_metric_index() runs once per stored hook: an open-addressing table
// built at compile time, so a lookup is one hash of the name and, most of
// the time, one comparison.
constexpr std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

struct Slot {
  std::string_view name;  // empty: free
  std::size_t label = kEventMetricLabels;
};
constexpr std::size_t kSlots = 128;  // a power of two, over four times the names

constexpr std::size_t label_of(std::string_view name) {
  if (name == kAlias) name = kAliasOf;
  for (std::size_t i = 0; i < kMetricLabels.size(); ++i) {
    if (kMetricLabels[i] == name) return i;
  }
  return kEventMetricLabels;
}

constexpr std::array<Slot, kSlots> label_table() {
  std::array<Slot, kSlots> table{};
  for (std::string_view name : kKnownEvents) {
    std::size_t s = fnv1a(name) & (kSlots - 1);
    while (!table[s].name.empty()) s = (s + 1) & (kSlots - 1);
    table[s] = Slot{name, label_of(name)};
  }
  return table;
}
constexpr auto kLabelTable = label_table();

}  // namespace

std::size_t event_metric_index(std::string_view name) {
  for (std::size_t s = fnv1a(name) & (kSlots - 1); !kLabelTable[s].name.empty(); s = (s + 1) & (kSlots - 1)) {
    if (kLabelTable[s].name == name) return kLabelTable[s].label;
  }
  return kEventMetricLabels;
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

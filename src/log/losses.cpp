#include "log/losses.hpp"

namespace chronohook::logging::detail {

void Losses::note_queue_overruns() {
  const std::size_t overrun = pool_->overrun_counter();
  if (overrun > overrun_seen_) {
    dropped(overrun - overrun_seen_);
    overrun_seen_ = overrun;
  }
}

void Losses::dropped(std::uint64_t lines) {
  unreported_ += lines;
  count_dropped(lines);
}

std::string Losses::report(std::string_view destination) const {
  return std::to_string(unreported_) + " log line(s) were dropped because " + std::string(destination) +
         " could not keep up; requests were not held up";
}

}  // namespace chronohook::logging::detail

#include "app/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace chronohook::app {

ConnectionBudget fit_connections(std::size_t configured, std::uint64_t open_files) {
  // At least one connection, however low the limit: a daemon that accepts
  // nothing helps no one, and the warning says what to fix.
  const std::uint64_t room = open_files > kReservedDescriptors + 1 ? open_files - kReservedDescriptors : 1;
  if (configured <= room) return {configured, false};
  return {static_cast<std::size_t>(room), true};
}

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;  // the usual soft limit
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    // An unlimited hard limit may still exceed fs.nr_open: then keep the soft one.
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

std::string clamp_warning(std::size_t configured, const ConnectionBudget& budget, std::uint64_t open_files,
                          std::uint64_t admin_files) {
  const std::string admin = admin_files == 0 ? "" : ", " + std::to_string(admin_files) + " for the [admin] listener";
  return "max_connections = " + std::to_string(configured) + " does not fit the open-file limit of " +
         std::to_string(open_files) + " (" + std::to_string(kReservedDescriptors) +
         " kept for the database, listener and logs" + admin + "): serving at most " +
         std::to_string(budget.max_connections) +
         " connections. Raise the limit (LimitNOFILE= in the systemd unit, --ulimit nofile= for a container, "
         "ulimit -n in a shell) to at least " +
         std::to_string(configured + kReservedDescriptors + admin_files) + ", or lower max_connections";
}

}  // namespace chronohook::app

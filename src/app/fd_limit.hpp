// The open-file limit against max_connections: every connection is a
// descriptor, and a daemon that runs out of them fails accept() with EMFILE
// while connections pile up. Private to src/app.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace chronohook::app {

// Descriptors kept for everything that is not a connection: the database and
// its WAL and shared memory (twice, for the checkpointer), listeners, the
// event loop, logging, and what the TLS and sanitizer libraries open.
inline constexpr std::uint64_t kReservedDescriptors = 64;

struct ConnectionBudget {
  std::size_t max_connections = 0;  // what the server may use
  bool clamped = false;             // less than configured
};

// How many connections fit under `open_files` descriptors. Pure.
ConnectionBudget fit_connections(std::size_t configured, std::uint64_t open_files);

// Raises the soft RLIMIT_NOFILE to the hard one and returns the soft limit
// now in force (unchanged when it cannot be raised).
std::uint64_t raise_open_file_limit();

// The one warning logged when fit_connections() clamped.
// `admin_files`: descriptors the [admin] listener holds on top.
std::string clamp_warning(std::size_t configured, const ConnectionBudget& budget, std::uint64_t open_files,
                          std::uint64_t admin_files = 0);

}  // namespace chronohook::app

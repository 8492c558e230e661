// Socket activation: listening sockets systemd passes (LISTEN_FDS,
// LISTEN_PID, LISTEN_FDNAMES) replace the ones the config would have us
// bind. Without them nothing changes. Private to src/app.
#pragma once

#include <string>
#include <vector>

#include "chronohook/config.hpp"
#include "chronohook/result.hpp"

namespace chronohook::app {

enum class ListenerRole { kWebhook, kAdmin };

// The roles of the passed descriptors, in order, from their names
// (sd_listen_fds_with_names(): a socket unit's FileDescriptorName=, else the
// unit's name; "unknown" without LISTEN_FDNAMES). Pure.
// - Named: every descriptor is "webhook" or "admin", each at most once.
// - Otherwise (no descriptor has either name): the first is the webhook
//   listener, the second the admin listener, a third is an error.
Result<std::vector<ListenerRole>> assign_listener_roles(const std::vector<std::string>& names);

struct InheritedListeners {
  int webhook = -1;  // -1: bind [server] listen
  int admin = -1;    // -1: bind [admin] listen
  bool any() const { return webhook >= 0 || admin >= 0; }
};

// Takes what systemd passed to this process (and removes LISTEN_* from the
// environment). Each descriptor must be a listening TCP socket, and an admin
// one needs [admin] in the config; anything else is an error naming the
// descriptor, so a unit that passes the wrong socket fails at start instead
// of leaving connections in a backlog nobody accepts from. Logs which
// descriptor became which listener, and that the config's address is not
// bound. Nothing passed: both -1.
Result<InheritedListeners> take_inherited_listeners(const Config& config);

}  // namespace chronohook::app

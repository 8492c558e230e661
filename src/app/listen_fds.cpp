#include "app/listen_fds.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

#include "chronohook/logging.hpp"

namespace chronohook::app {
namespace {

constexpr const char* kWebhookName = "webhook";
constexpr const char* kAdminName = "admin";

const char* role_name(ListenerRole role) {
  return role == ListenerRole::kWebhook ? kWebhookName : kAdminName;
}

// "0.0.0.0:443", "[::]:443"; empty when the kernel will not say.
std::string socket_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return {};
}

std::string describe(int fd, const std::string& name) {
  return "fd " + std::to_string(fd) + " (\"" + logging::sanitize(name, 64) + "\")";
}

}  // namespace

Result<std::vector<ListenerRole>> assign_listener_roles(const std::vector<std::string>& names) {
  bool named = false;
  for (const std::string& n : names) named = named || n == kWebhookName || n == kAdminName;
  std::vector<ListenerRole> roles;
  if (!named) {
    if (names.size() > 2) {
      return Error{"socket activation: " + std::to_string(names.size()) +
                   " sockets passed without the names \"webhook\" and \"admin\"; chronohook takes at most two (the "
                   "first the webhook listener, the second the admin listener): name them with FileDescriptorName="};
    }
    for (std::size_t i = 0; i < names.size(); ++i)
      roles.push_back(i == 0 ? ListenerRole::kWebhook : ListenerRole::kAdmin);
    return roles;
  }
  bool seen[2] = {false, false};
  for (std::size_t i = 0; i < names.size(); ++i) {
    ListenerRole role;
    if (names[i] == kWebhookName) {
      role = ListenerRole::kWebhook;
    } else if (names[i] == kAdminName) {
      role = ListenerRole::kAdmin;
    } else {
      return Error{"socket activation: socket " + std::to_string(i + 1) + " is named \"" +
                   logging::sanitize(names[i], 64) +
                   "\"; with named sockets each must be FileDescriptorName=webhook or FileDescriptorName=admin"};
    }
    bool& already = seen[role == ListenerRole::kWebhook ? 0 : 1];
    if (already) {
      return Error{std::string("socket activation: two sockets are named \"") + role_name(role) +
                   "\"; chronohook takes one of each (one ListenStream= per socket unit)"};
    }
    already = true;
    roles.push_back(role);
  }
  return roles;
}

Result<InheritedListeners> take_inherited_listeners(const Config& config) {
  char** raw_names = nullptr;
  // unset_environment = 1: nothing this process starts later sees them.
  const int count = sd_listen_fds_with_names(1, &raw_names);
  std::vector<std::string> names;
  if (raw_names != nullptr) {
    for (char** n = raw_names; *n != nullptr; ++n) {
      names.emplace_back(*n);
      std::free(*n);
    }
    std::free(raw_names);
  }
  if (count < 0) {
    return Error{std::string("socket activation: LISTEN_FDS/LISTEN_FDNAMES cannot be read: ") + std::strerror(-count)};
  }
  InheritedListeners out;
  if (count == 0) return out;  // not socket-activated (or LISTEN_PID is another process's)
  names.resize(static_cast<std::size_t>(count), "unknown");

  auto roles = assign_listener_roles(names);
  if (!roles) return roles.error();
  for (int i = 0; i < count; ++i) {
    const int fd = SD_LISTEN_FDS_START + i;
    const std::string& name = names[static_cast<std::size_t>(i)];
    // AF_UNSPEC: IPv4 or IPv6; 1: listening. A datagram, AF_UNIX or
    // unlistened socket is refused here rather than failing on accept.
    if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0) {
      return Error{"socket activation: " + describe(fd, name) +
                   " is not a listening TCP socket; chronohook takes ListenStream= sockets only (Accept=no)"};
    }
    const ListenerRole role = (*roles)[static_cast<std::size_t>(i)];
    if (role == ListenerRole::kAdmin && !config.admin.enabled) {
      return Error{"socket activation: " + describe(fd, name) +
                   " is for the admin listener, but the config has no [admin] table: add one, or stop passing the "
                   "socket (systemctl disable --now chronohook-admin.socket)"};
    }
    const std::string address = socket_address(fd);
    if (role == ListenerRole::kWebhook) {
      out.webhook = fd;
      spdlog::info("socket activation: {} is the webhook listener on {}; [server] listen {} is not bound",
                   describe(fd, name), address, config.server.listen.to_string());
    } else {
      out.admin = fd;
      spdlog::info("socket activation: {} is the admin listener on {}; [admin] listen {} is not bound",
                   describe(fd, name), address, config.admin.listen.to_string());
    }
  }
  return out;
}

}  // namespace chronohook::app

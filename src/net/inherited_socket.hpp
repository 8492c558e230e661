// A listening socket another process made (systemd's socket activation):
// what Asio needs to know to adopt it. Private to src (both listeners).
#pragma once

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>

namespace chronohook::net {

// The protocol of a TCP socket `fd`: IPv6 when its address family says so,
// else IPv4 (the caller checked that it is an inet stream socket).
inline boost::asio::ip::tcp inherited_protocol(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET6) {
    return boost::asio::ip::tcp::v6();
  }
  return boost::asio::ip::tcp::v4();
}

}  // namespace chronohook::net

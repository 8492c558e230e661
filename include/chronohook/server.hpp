// The public listener: accepts connections, runs one session per connection,
// stops accepting at the connection cap, and drains on shutdown.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "chronohook/config.hpp"
#include "chronohook/counters.hpp"
#include "chronohook/event_store.hpp"
#include "chronohook/handler.hpp"
#include "chronohook/result.hpp"

namespace chronohook::net {

struct SessionSettings {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{10'000};
  bool access_log = true;

  static SessionSettings from(const Config& config);
};

class Listener;

class Server {
 public:
  // Binds and listens on config.server.listen, or, when `listen_fd` is a
  // listening TCP socket systemd passed (socket activation), accepts on that
  // instead and binds nothing. `tls` is null for plain HTTP.
  static Result<std::unique_ptr<Server>> create(boost::asio::io_context& ioc, const Config& config,
                                                std::shared_ptr<const webhook::Handler> handler, EventStore& store,
                                                std::shared_ptr<Counters> counters,
                                                std::shared_ptr<boost::asio::ssl::context> tls, int listen_fd = -1);
  ~Server();

  // The address actually bound ("127.0.0.1:40123" when port 0 was asked).
  std::string local_address() const;

  void start();

  // Stops accepting, lets requests in flight finish, closes idle keep-alive
  // connections. `on_drained` runs (on an I/O thread) when none remain.
  void drain(std::function<void()> on_drained);

  std::size_t open_connections() const;

  // Reload (any thread). Every request that starts after this returns uses
  // `handler`; one in progress finishes with the handler it started with.
  void replace_handler(std::shared_ptr<const webhook::Handler> handler);
  std::shared_ptr<const webhook::Handler> handler() const;
  // Connections accepted from now on use `tls`; open ones keep theirs.
  // Only for a server created with TLS.
  void replace_tls(std::shared_ptr<boost::asio::ssl::context> tls);

 private:
  explicit Server(std::shared_ptr<Listener> listener);
  std::shared_ptr<Listener> listener_;
};

}  // namespace chronohook::net

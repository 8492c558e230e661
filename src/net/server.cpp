#include "chronohook/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <spdlog/spdlog.h>

#include "net/inherited_socket.hpp"
#include "session_start.hpp"

namespace chronohook::net {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

SessionSettings SessionSettings::from(const Config& config) {
  SessionSettings s;
  s.max_header_bytes = config.server.max_header_bytes;
  s.max_body_bytes = config.server.max_body_bytes;
  s.handshake_timeout = config.server.handshake_timeout;
  s.header_timeout = config.server.header_timeout;
  s.body_timeout = config.server.body_timeout;
  s.idle_timeout = config.server.idle_timeout;
  s.write_timeout = config.server.write_timeout;
  s.access_log = config.log.access_log;
  return s;
}

namespace {

std::string endpoint_string(const asio::ip::tcp::endpoint& ep) {
  const auto addr = ep.address();
  if (addr.is_v6() && !addr.to_v6().is_v4_mapped()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  if (addr.is_v6()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string() + ":" + std::to_string(ep.port());
  }
  return addr.to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

// Accepts on its own strand. At the connection cap it stops accepting (new
// connections wait in the kernel's backlog rather than being refused) and
// resumes when a session ends; while a connection waits there, it evicts the
// session idle longest to make room. A source over its own cap is closed at
// once after the accept.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, std::shared_ptr<SharedState> state, std::shared_ptr<asio::ssl::context> tls,
           std::size_t max_connections)
      : ioc_(ioc),
        strand_(asio::make_strand(ioc)),
        acceptor_(strand_),
        state_(std::move(state)),
        tls_(std::move(tls)),
        max_connections_(max_connections),
        retry_timer_(strand_),
        evict_timer_(strand_) {}

  Status bind(const ListenAddress& where) {
    error_code ec;
    asio::ip::tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(where.host, std::to_string(where.port),
                                    asio::ip::resolver_base::passive | asio::ip::resolver_base::numeric_service, ec);
    if (ec || results.empty()) {
      return Error{"listen: cannot resolve \"" + where.host + "\": " + (ec ? ec.message() : "no address")};
    }
    const asio::ip::tcp::endpoint ep = results.begin()->endpoint();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(false), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error{"listen: cannot listen on " + where.to_string() + ": " + ec.message()};
    local_ = endpoint_string(acceptor_.local_endpoint(ec));
    return Status::Ok();
  }

  // A socket systemd bound and listens on (socket activation). Closing it
  // at drain closes this process's copy only: systemd keeps the socket, so
  // connections wait in its backlog for the next start instead of being
  // refused.
  Status adopt(int fd) {
    error_code ec;
    acceptor_.assign(inherited_protocol(fd), fd, ec);
    if (ec)
      return Error{"listen: cannot use the socket passed by systemd (fd " + std::to_string(fd) + "): " + ec.message()};
    local_ = endpoint_string(acceptor_.local_endpoint(ec));
    return Status::Ok();
  }

  void start() {
    state_->on_session_closed = [weak = weak_from_this()] {
      if (auto self = weak.lock()) asio::post(self->strand_, [self] { self->resume_if_paused(); });
    };
    asio::dispatch(strand_, [self = shared_from_this()] { self->accept(); });
  }

  void drain(std::function<void()> on_drained) {
    asio::dispatch(strand_, [self = shared_from_this(), on_drained = std::move(on_drained)]() mutable {
      self->state_->draining.store(true);
      error_code ignored;
      self->acceptor_.close(ignored);
      self->evict_timer_.cancel();
      self->on_drained_ = std::move(on_drained);
      self->state_->connections.drain_all();
      self->check_drained();
    });
  }

  std::string local_address() const { return local_; }
  std::size_t open_connections() const { return state_->connections.count(); }
  SharedState& state() { return *state_; }

  // tls_ is read by accepts only, on this strand: no lock needed. A plain
  // listener stays plain.
  void replace_tls(std::shared_ptr<asio::ssl::context> tls) {
    asio::dispatch(strand_, [self = shared_from_this(), tls = std::move(tls)]() mutable {
      if (self->tls_ && tls) self->tls_ = std::move(tls);
    });
  }

 private:
  void accept() {
    if (state_->draining || !acceptor_.is_open()) return;
    if (state_->connections.count() >= max_connections_) {
      if (!paused_) {
        spdlog::warn("connection cap reached ({}); new connections wait in the backlog while idle ones are evicted",
                     max_connections_);
      }
      paused_ = true;
      wait_for_backlog();
      return;
    }
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = shared_from_this()](error_code ec, asio::ip::tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void on_accept(error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // EMFILE and friends: back off briefly, keep serving. Logged once per
      // run of failures, not every 100 ms.
      if (accept_failures_++ == 0) {
        spdlog::error("accept failed: {}; retrying every 100 ms (logged again when it recovers)", ec.message());
      }
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([self = shared_from_this()](error_code) { self->accept(); });
      return;
    }
    if (accept_failures_ > 0) {
      spdlog::info("accept recovered after {} failed attempt(s)", accept_failures_);
      accept_failures_ = 0;
    }
    error_code peer_ec;
    const auto remote = socket.remote_endpoint(peer_ec);
    if (peer_ec) return accept();  // gone already; the socket closes here
    std::string peer = endpoint_string(remote);
    const SourceKey source = source_key(remote.address());
    const auto id = state_->connections.add(source);
    if (!id) {
      // Before any TLS work: a source over its cap costs us one accept.
      state_->counters->connections_refused_source.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("connection refused peer={} reason=max_connections_per_source ({})", peer,
                   state_->connections.per_source_cap());
      return accept();  // the socket closes here
    }
    socket.set_option(asio::ip::tcp::no_delay(true), peer_ec);
    if (tls_) {
      start_tls_session(std::move(socket), tls_, state_, Peer{std::move(peer), source, *id});
    } else {
      start_plain_session(std::move(socket), state_, Peer{std::move(peer), source, *id});
    }
    accept();
  }

  // At the cap: wait until a connection is in the backlog, then make room.
  void wait_for_backlog() {
    if (waiting_ || state_->draining || !acceptor_.is_open()) return;
    waiting_ = true;
    acceptor_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](error_code ec) {
      self->waiting_ = false;
      if (!ec) self->on_backlog();
    });
  }

  void on_backlog() {
    if (!paused_ || state_->draining) return;  // a session ended meanwhile and accept() took over
    // The evicted session's end resumes accept(). Should it have started a
    // request just before (then it stays), or should none be idle, look again
    // shortly rather than spin on a backlog that stays readable.
    const bool evicted = state_->connections.evict_longest_idle();
    evict_timer_.expires_after(std::chrono::milliseconds(evicted ? 100 : 250));
    evict_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && self->paused_) self->wait_for_backlog();
    });
  }

  void resume_if_paused() {
    if (paused_ && state_->connections.count() < max_connections_) {
      paused_ = false;
      accept();
    }
    if (state_->draining) check_drained();
  }

  void check_drained() {
    if (on_drained_ && state_->connections.count() == 0) {
      auto done = std::move(on_drained_);
      on_drained_ = nullptr;
      done();
    }
  }

  asio::io_context& ioc_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<SharedState> state_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::size_t max_connections_;
  asio::steady_timer retry_timer_;
  asio::steady_timer evict_timer_;
  std::string local_;
  bool paused_ = false;
  bool waiting_ = false;  // an async_wait on the acceptor is pending
  std::uint64_t accept_failures_ = 0;
  std::function<void()> on_drained_;
};

Result<std::unique_ptr<Server>> Server::create(asio::io_context& ioc, const Config& config,
                                               std::shared_ptr<const webhook::Handler> handler, EventStore& store,
                                               std::shared_ptr<Counters> counters,
                                               std::shared_ptr<asio::ssl::context> tls, int listen_fd) {
  auto state = std::make_shared<SharedState>(std::move(handler), store, std::move(counters),
                                             SessionSettings::from(config), config.server.max_connections_per_source);
  auto listener = std::make_shared<Listener>(ioc, std::move(state), std::move(tls), config.server.max_connections);
  if (auto st = listen_fd >= 0 ? listener->adopt(listen_fd) : listener->bind(config.server.listen); !st) {
    return st.error();
  }
  return std::unique_ptr<Server>(new Server(std::move(listener)));
}

Server::Server(std::shared_ptr<Listener> listener) : listener_(std::move(listener)) {}
Server::~Server() = default;

std::string Server::local_address() const {
  return listener_->local_address();
}
void Server::start() {
  listener_->start();
}
void Server::drain(std::function<void()> on_drained) {
  listener_->drain(std::move(on_drained));
}
std::size_t Server::open_connections() const {
  return listener_->open_connections();
}
void Server::replace_handler(std::shared_ptr<const webhook::Handler> handler) {
  listener_->state().handler.publish(std::move(handler));
}
std::shared_ptr<const webhook::Handler> Server::handler() const {
  return listener_->state().handler.get().value;
}
void Server::replace_tls(std::shared_ptr<asio::ssl::context> tls) {
  listener_->replace_tls(std::move(tls));
}

}  // namespace chronohook::net

#include "admin/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <spdlog/spdlog.h>

#include "admin/session_start.hpp"
#include "chronohook/tls.hpp"

namespace chronohook::admin {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

std::string endpoint_string(const asio::ip::tcp::endpoint& ep) {
  const auto addr = ep.address();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  return addr.to_string() + ":" + std::to_string(ep.port());
}

SessionSettings settings_from(const Config& config) {
  SessionSettings s;
  s.max_header_bytes = config.server.max_header_bytes;
  s.handshake_timeout = config.server.handshake_timeout;
  s.header_timeout = config.server.header_timeout;
  s.idle_timeout = config.server.idle_timeout;
  s.write_timeout = config.server.write_timeout;
  return s;
}

}  // namespace

// Accepts on its own strand; at kMaxConnections it stops accepting until a
// session ends (the kernel's backlog holds the rest).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, std::shared_ptr<Shared> shared, std::shared_ptr<asio::ssl::context> tls)
      : ioc_(ioc),
        strand_(asio::make_strand(ioc)),
        acceptor_(strand_),
        shared_(std::move(shared)),
        tls_(std::move(tls)),
        retry_(strand_) {}

  Status bind(const ListenAddress& where) {
    error_code ec;
    asio::ip::tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(where.host, std::to_string(where.port),
                                    asio::ip::resolver_base::passive | asio::ip::resolver_base::numeric_service, ec);
    if (ec || results.empty()) {
      return Error{"admin: cannot resolve \"" + where.host + "\": " + (ec ? ec.message() : "no address")};
    }
    const asio::ip::tcp::endpoint ep = results.begin()->endpoint();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error{"admin: cannot listen on " + where.to_string() + " ([admin] listen): " + ec.message()};
    local_ = endpoint_string(acceptor_.local_endpoint(ec));
    return Status::Ok();
  }

  void start() {
    {
      std::lock_guard lock(shared_->mutex);
      shared_->on_session_closed = [weak = weak_from_this()] {
        if (auto self = weak.lock()) asio::post(self->strand_, [self] { self->on_closed(); });
      };
    }
    asio::dispatch(strand_, [self = shared_from_this()] { self->accept(); });
  }

  void drain(std::function<void()> on_drained) {
    asio::dispatch(strand_, [self = shared_from_this(), on_drained = std::move(on_drained)]() mutable {
      self->shared_->draining.store(true);
      error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
      self->on_drained_ = std::move(on_drained);
      self->shared_->drain_all();
      self->check_drained();
    });
  }

  const std::string& local_address() const { return local_; }
  std::size_t open_connections() const { return shared_->count(); }

 private:
  void accept() {
    if (shared_->draining || !acceptor_.is_open() || accepting_) return;
    if (shared_->count() >= kMaxConnections) return;  // on_closed() resumes
    accepting_ = true;
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = shared_from_this()](error_code ec, asio::ip::tcp::socket s) {
                             self->accepting_ = false;
                             self->on_accept(ec, std::move(s));
                           });
  }

  void on_accept(error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::error("admin: accept failed: {}; retrying in 100 ms", ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](error_code wait_ec) {
        if (!wait_ec) self->accept();
      });
      return;
    }
    error_code peer_ec;
    const auto remote = socket.remote_endpoint(peer_ec);
    if (!peer_ec) {
      socket.set_option(asio::ip::tcp::no_delay(true), peer_ec);
      if (tls_) {
        start_tls_session(std::move(socket), *tls_, shared_, endpoint_string(remote));
      } else {
        start_plain_session(std::move(socket), shared_, endpoint_string(remote));
      }
    }
    accept();
  }

  void on_closed() {
    if (shared_->draining) return check_drained();
    accept();
  }

  void check_drained() {
    if (on_drained_ && shared_->count() == 0) {
      auto done = std::move(on_drained_);
      on_drained_ = nullptr;
      done();
    }
  }

  asio::io_context& ioc_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::steady_timer retry_;
  std::string local_;
  bool accepting_ = false;
  std::function<void()> on_drained_;
};

// Declared in the order they must be built; destroyed in reverse, so the
// listener and its sessions go before what they point at.
struct Server::Parts {
  std::unique_ptr<Handler> handler;
  std::shared_ptr<CommitWaiters> waiters;  // also held by the store's commit listener
  std::unique_ptr<ReaderPool> readers;
  std::shared_ptr<Shared> shared;
  std::shared_ptr<Listener> listener;
};

Result<std::unique_ptr<Server>> Server::create(asio::io_context& ioc, const Config& config, EventStore& store,
                                               std::shared_ptr<Counters> counters) {
  auto parts = std::make_unique<Parts>();
  std::shared_ptr<asio::ssl::context> tls;
  if (!config.admin.tls_cert.empty()) {
    auto ctx = tls::make_server_context(config.admin.tls_cert, config.admin.tls_key);
    if (!ctx) return Error{"admin: " + ctx.error().message};
    tls = std::move(*ctx);
  }
  parts->handler = std::make_unique<Handler>(config);
  parts->waiters = std::make_shared<CommitWaiters>();
  auto readers = ReaderPool::open(config.storage.path, config.admin.readers);
  if (!readers) return readers.error();
  parts->readers = std::move(*readers);
  store.add_commit_listener([waiters = parts->waiters](std::int64_t seq) { waiters->notify(seq); });
  parts->shared =
      std::make_shared<Shared>(*parts->handler, store, *parts->readers, *parts->waiters, settings_from(config));
  parts->shared->queue_capacity = config.storage.queue_capacity;
  parts->shared->counters = counters ? std::move(counters) : std::make_shared<Counters>();
  parts->shared->database = config.storage.path;
  parts->listener = std::make_shared<Listener>(ioc, parts->shared, std::move(tls));
  if (auto st = parts->listener->bind(config.admin.listen); !st) return st.error();
  return std::unique_ptr<Server>(new Server(std::move(parts)));
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() {
  stop_readers();
}

std::string Server::local_address() const {
  return parts_->listener->local_address();
}
void Server::start() {
  parts_->listener->start();
}
void Server::drain(std::function<void()> on_drained) {
  parts_->listener->drain(std::move(on_drained));
}
std::size_t Server::open_connections() const {
  return parts_->listener->open_connections();
}
void Server::set_webhook_listening(bool listening) {
  parts_->shared->webhook_listening.store(listening);
}
void Server::stop_readers() {
  parts_->readers->stop();
}

}  // namespace chronohook::admin

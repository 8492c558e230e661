// One admin API connection: stream, buffer, parser and timers, nothing else.
// Decisions come from admin::Handler; reads run on the ReaderPool's threads,
// cursor writes on the store's writer; results come back to this session's
// strand by post. Private to src/admin; instantiated only in
// session_plain.cpp and session_tls.cpp.
#pragma once

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include <spdlog/spdlog.h>

#include "admin/cursor_task.hpp"
#include "admin/shared.hpp"
#include "admin/status.hpp"

namespace chronohook::admin {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <typename Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(asio::ip::tcp::socket&& socket, std::shared_ptr<Shared> shared, std::string peer) requires(!kTls)
      : stream_(std::move(socket)),
        shared_(std::move(shared)),
        peer_(std::move(peer)),
        timer_(stream_.get_executor()) {}
  Session(asio::ip::tcp::socket&& socket, asio::ssl::context& ctx, std::shared_ptr<Shared> shared,
          std::string peer) requires(kTls)
      : stream_(std::move(socket), ctx),
        shared_(std::move(shared)),
        peer_(std::move(peer)),
        timer_(stream_.get_executor()) {}

  ~Session() override { shared_->remove(id_); }

  void start() {
    id_ = shared_->add(this->shared_from_this());
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  void drain() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->phase_ == Phase::kIdle) return self->lowest().cancel();
      if (self->phase_ == Phase::kPolling) self->expire_poll();
    });
  }

 private:
  enum class Phase { kIdle, kRequest, kPolling, kClosing };

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  auto on_strand() { return stream_.get_executor(); }

  void begin() {
    if constexpr (kTls) {
      lowest().expires_after(shared_->settings.handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) return self->read_request();
        self->shared_->counters->admin_tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      });
    } else {
      read_request();
    }
  }

  void read_request() {
    if (shared_->draining.load()) return;  // nothing asked yet: nothing lost
    phase_ = Phase::kIdle;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->settings.max_header_bytes));
    parser_->body_limit(kMaxBodyBytes);
    lowest().expires_after(requests_ == 0 ? shared_->settings.header_timeout : shared_->settings.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
  }

  void on_request(beast::error_code ec) {
    started_ = std::chrono::steady_clock::now();
    if (ec == http::error::body_limit) return send(Handler::too_large());
    if (ec == http::error::header_limit ||
        (ec && ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message && ec != http::error::short_read)) {
      return send(Handler::malformed());
    }
    if (ec) return;  // timeout, EOF, drain: nothing to answer
    ++requests_;
    phase_ = Phase::kRequest;
    const auto& req = parser_->get();
    Request request;
    request.method = req.method_string();
    request.target = req.target();
    if (auto it = req.find(http::field::authorization); it != req.end()) request.authorization = it->value();
    request.body = req.body();
    decision_ = shared_->handler.decide(request);
    std::visit([this](auto& d) { this->act(d); }, decision_);
  }

  void act(Reply& reply) { send(std::move(reply)); }

  // Answered here, on the I/O thread: a wedged event loop fails /healthz.
  void act(Probe& probe) {
    if (probe.endpoint == Endpoint::kHealth) return send(Handler::health());
    if (probe.endpoint == Endpoint::kMetrics) return send(Handler::metrics(take_metrics(*shared_)));
    send(Handler::readiness(take_health(*shared_)));
  }

  void act(ListEvents& list) {
    deadline_ = std::chrono::steady_clock::now() + list.wait;
    expired_ = list.wait.count() == 0;
    if (!expired_) {
      timer_.expires_at(deadline_);
      timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->expire_poll();
      });
    }
    read_page();
  }

  void act(GetEvent& get) {
    read([get](EventReader& reader, Shared& shared) {
      auto found = reader.by_seq(get.seq);
      if (!found) return failed(shared, get.consumer, Endpoint::kEvent, found.error());
      return shared.handler.event(get, *found);
    });
  }

  void act(GetCursor& get) {
    read([get](EventReader& reader, Shared& shared) {
      const std::string& name = shared.handler.consumers()[get.consumer].name;
      auto seq = reader.cursor(name);
      if (!seq) return failed(shared, get.consumer, Endpoint::kCursorGet, seq.error());
      return shared.handler.cursor(get, seq->value_or(0));
    });
  }

  void act(PutCursor& put) {
    auto outcome = std::make_shared<CursorWrite>();
    const std::string& name = shared_->handler.consumers()[put.consumer].name;
    shared_->store.submit_task(
        cursor_task(name, put.seq, put.rewind, outcome), [self = this->shared_from_this(), put, outcome](Status st) {
          if (!st) {
            outcome->kind = CursorWrite::Kind::kFailed;
            spdlog::error("admin: cursor of consumer {} not stored: {}",
                          self->shared_->handler.consumers()[put.consumer].name, st.error().message);
          }
          asio::post(self->on_strand(),
                     [self, put, outcome] { self->send(self->shared_->handler.cursor_written(put, *outcome)); });
        });
  }

  static Reply failed(Shared& shared, std::size_t consumer, Endpoint endpoint, const Error& error) {
    spdlog::error("admin: read failed for {}: {}", to_string(endpoint), error.message);
    return shared.handler.read_failed(consumer, endpoint);
  }

  // Runs `work` on a reader thread and sends what it answers.
  template <typename Work>
  void read(Work work) {
    auto job = [self = this->shared_from_this(), work = std::move(work)](EventReader& reader) {
      Reply reply = work(reader, *self->shared_);
      asio::post(self->on_strand(), [self, reply = std::move(reply)]() mutable { self->send(std::move(reply)); });
    };
    if (!shared_->readers.try_submit(std::move(job))) send(busy());
  }

  Reply busy() {
    return std::visit(
        [this](auto& d) -> Reply {
          if constexpr (std::is_same_v<std::decay_t<decltype(d)>, Reply>) {
            return d;
          } else if constexpr (std::is_same_v<std::decay_t<decltype(d)>, ListEvents>) {
            return shared_->handler.busy(d.consumer, d.endpoint);
          } else if constexpr (std::is_same_v<std::decay_t<decltype(d)>, Probe>) {
            return shared_->handler.busy(shared_->handler.consumers().size(), d.endpoint);
          } else {
            return shared_->handler.busy(d.consumer, Endpoint::kNone);
          }
        },
        decision_);
  }

  // One round of a (long-)poll: note what is committed, then read. A commit
  // after the note wakes the next round; none is missed between the two.
  void read_page() {
    phase_ = Phase::kRequest;
    seen_ = shared_->store.committed_seq();
    const ListEvents& list = std::get<ListEvents>(decision_);
    auto job = [self = this->shared_from_this(), list](EventReader& reader) {
      std::optional<Error> error;
      std::int64_t after = list.filter.after;
      std::vector<StoredEvent> events;
      if (list.after_cursor) {
        auto cursor = reader.cursor(self->shared_->handler.consumers()[list.consumer].name);
        if (cursor) after = cursor->value_or(0);
        if (!cursor) error = cursor.error();
      }
      if (!error) {
        EventFilter filter = list.filter;
        filter.after = after;
        auto page = reader.list(filter);
        if (page) events = std::move(*page);
        if (!page) error = page.error();
      }
      asio::post(self->on_strand(), [self, after, error = std::move(error), events = std::move(events)]() mutable {
        self->on_page(after, std::move(error), std::move(events));
      });
    };
    if (!shared_->readers.try_submit(std::move(job))) {
      timer_.cancel();
      send(busy());
    }
  }

  void on_page(std::int64_t after, std::optional<Error> error, std::vector<StoredEvent> events) {
    const ListEvents& list = std::get<ListEvents>(decision_);
    if (error) {
      timer_.cancel();
      return send(failed(*shared_, list.consumer, list.endpoint, *error));
    }
    after_ = after;
    if (!events.empty() || expired_ || shared_->draining.load()) {
      timer_.cancel();
      return send(shared_->handler.page(list, events, after));
    }
    phase_ = Phase::kPolling;
    wait_id_ = shared_->waiters.wait(seen_, shared_->store.committed_seq(), [weak = this->weak_from_this()] {
      if (auto self = weak.lock()) asio::post(self->on_strand(), [self] { self->read_page(); });
    });
  }

  // The wait is over (deadline or drain): answer the empty page now, or, if
  // a wake is already on its way or a read in flight, let that answer.
  void expire_poll() {
    if (expired_) return;
    expired_ = true;
    if (phase_ == Phase::kPolling && shared_->waiters.cancel(wait_id_)) {
      timer_.cancel();
      send(shared_->handler.page(std::get<ListEvents>(decision_), {}, after_));
    }
  }

  void send(Reply reply) {
    phase_ = Phase::kRequest;
    reply_ = std::move(reply);
    if (reply_.status == 401) shared_->counters->admin_unauthorized.fetch_add(1, std::memory_order_relaxed);
    const bool have_request = parser_ && parser_->is_header_done();
    // A client that is refused for what it is (no token, a malformed or
    // oversized request, a wrong method) reconnects; one told "not found"
    // or "conflict" or "retry" keeps its connection.
    const int s = reply_.status;
    const bool refused = s == 400 || s == 401 || s == 405 || s == 413;
    const bool keep =
        !refused && have_request && parser_->is_done() && parser_->get().keep_alive() && !shared_->draining.load();
    res_ = {};
    res_.version(have_request ? parser_->get().version() : 11);
    res_.result(static_cast<unsigned>(s));
    res_.set(http::field::content_type, reply_.content_type);
    res_.set(http::field::cache_control, "no-store");
    if (reply_.retry_after_seconds) res_.set(http::field::retry_after, std::to_string(*reply_.retry_after_seconds));
    if (reply_.allow_get) res_.set(http::field::allow, "GET");
    if (reply_.allow_get_put) res_.set(http::field::allow, "GET, PUT");
    if (reply_.www_authenticate) res_.set(http::field::www_authenticate, "Bearer");
    res_.keep_alive(keep);
    res_.body() = std::move(reply_.body);
    res_.prepare_payload();
    lowest().expires_after(shared_->settings.write_timeout);
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    audit();
    if (ec) return;
    if (!res_.keep_alive()) return close();
    decision_ = Reply{};
    read_request();
  }

  // One line per request: who, which endpoint, what came of it, how many
  // events and which seqs. Never a payload byte, a token or a query value.
  void audit() {
    const auto latency =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    // A health check every few seconds would drown the audit trail.
    const bool routine_probe = reply_.status == 200 && (reply_.endpoint == Endpoint::kHealth ||
                                                        reply_.endpoint == Endpoint::kReady ||
                                                        reply_.endpoint == Endpoint::kMetrics);
    spdlog::log(routine_probe ? spdlog::level::debug : spdlog::level::info,"api consumer={} endpoint=\"{}\" status={} events={} first_seq={} last_seq={} ms={} peer={}",
                 reply_.consumer.empty() ? std::string_view("-") : reply_.consumer, to_string(reply_.endpoint),
                 reply_.status, reply_.events, reply_.first_seq, reply_.last_seq, latency.count(), peer_);
  }

  void close() {
    phase_ = Phase::kClosing;
    if constexpr (kTls) {
      // Our close_notify, without waiting for the client's (as src/net does).
      SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
      lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->half_close(); });
    } else {
      half_close();
    }
  }

  // After our FIN, read and discard what the client still sends (a body we
  // refused, say) for a short while: closing with unread bytes would make
  // the kernel reset the connection, which can destroy the answer unread.
  void half_close() {
    beast::error_code ignored;
    lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    lowest().expires_after(std::chrono::seconds(1));
    linger_left_ = kLingerBytes;
    linger_step();
  }

  void linger_step() {
    lowest().async_read_some(asio::buffer(scratch_),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                               if (ec || n >= self->linger_left_) return;  // EOF, deadline or enough: close
                               self->linger_left_ -= n;
                               self->linger_step();
                             });
  }

  static constexpr std::size_t kLingerBytes = 256 * 1024;

  Stream stream_;
  std::shared_ptr<Shared> shared_;
  std::string peer_;
  asio::steady_timer timer_;  // a long-poll's deadline
  std::uint64_t id_ = 0;
  Phase phase_ = Phase::kIdle;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  Decision decision_;
  Reply reply_;
  std::uint64_t requests_ = 0;
  std::chrono::steady_clock::time_point started_{};
  std::chrono::steady_clock::time_point deadline_{};
  bool expired_ = false;
  std::int64_t seen_ = 0;   // committed seq noted before the last read
  std::int64_t after_ = 0;  // where the last read started
  std::uint64_t wait_id_ = 0;
  std::size_t linger_left_ = 0;
  std::array<char, 4096> scratch_{};
};

}  // namespace chronohook::admin

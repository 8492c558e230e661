// One connection: owns the stream, the buffer, the parser and the timers, and
// nothing else. Protocol decisions come from webhook::Handler; storage from
// EventStore. Every async step sets its deadline first and holds the session
// alive through shared_from_this().
#pragma once

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
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

#include "chronohook/logging.hpp"
#include "http_fields.hpp"
#include "shared_state.hpp"

namespace chronohook::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <typename Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using Parser = http::request_parser<http::string_body>;

 public:
  // Plain HTTP.
  Session(asio::ip::tcp::socket&& socket, std::shared_ptr<SharedState> state, Peer peer) requires(!kTls)
      : stream_(std::move(socket)), state_(std::move(state)), peer_(std::move(peer)) {}

  // TLS.
  Session(asio::ip::tcp::socket&& socket, asio::ssl::context& ctx, std::shared_ptr<SharedState> state,
          Peer peer) requires(kTls)
      : stream_(std::move(socket), ctx), state_(std::move(state)), peer_(std::move(peer)) {}

  ~Session() override {
    state_->counters->connections_open.fetch_sub(1, std::memory_order_relaxed);
    state_->remove(peer_.id);
  }

  void start() {
    state_->counters->connections_open.fetch_add(1, std::memory_order_relaxed);
    // Until its first request is read, a connection may be evicted at the cap.
    set_evictable(std::chrono::steady_clock::now());
    state_->connections.attach(peer_.id, this->shared_from_this());
    // Sessions run on their own strand; hop onto it before touching the stream.
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  void drain() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      // A request in flight finishes and then closes (send() stops keep-alive);
      // a connection still shaking hands or waiting for a request closes now.
      if (self->phase_ == Phase::kHandshake || self->phase_ == Phase::kIdle) self->lowest().cancel();
    });
  }

  void evict() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      // Only what set_evictable() allows: never a request being read after
      // the first, a hook being stored or an answer being written. (Should
      // the pending read complete anyway, the session goes on and stays
      // evictable later; the listener then looks for room again.)
      if (!self->evictable_) return;
      self->evicted_ = true;
      self->state_->counters->connections_evicted.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("idle connection evicted at max_connections peer={}", self->peer_.text);
      self->lowest().cancel();  // the pending read ends with operation_aborted and closes
    });
  }

 private:
  enum class Phase { kHandshake, kIdle, kRequest, kClosing };

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void set_evictable(std::chrono::steady_clock::time_point since) {
    evictable_ = true;
    mark_idle(since);
  }
  void set_busy() {
    evictable_ = false;
    evicted_ = false;
    mark_busy();
  }
  bool was_evicted(beast::error_code ec) const { return evicted_ && ec == asio::error::operation_aborted; }

  void begin() {
    if (state_->draining.load(std::memory_order_relaxed)) return;  // accepted just as the drain began
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      lowest().expires_after(state_->settings.handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
    } else {
      wait_for_request();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (was_evicted(ec)) return;  // nothing to say yet: the socket closes with the session
    if (ec) {
      state_->counters->tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("tls handshake failed peer={} reason={}", peer_.text, ec.message());
      return;  // the stream closes with the session
    }
    wait_for_request();
  }

  // Deadlines. The first request of a connection gets one: header_timeout
  // from the end of the handshake (the accept, without TLS) to the end of
  // its header, first byte included, armed here and not again in
  // read_header(). A later request on a kept-alive connection may wait
  // idle_timeout for its first byte, then gets header_timeout for the
  // header, so a client trickling a header cannot hold the connection for
  // the idle time.
  void wait_for_request() {
    if (buffer_.size() > 0) return read_header();
    // Shutting down: nothing was asked on this connection yet, so nothing is lost.
    if (state_->draining.load(std::memory_order_relaxed)) return close();
    phase_ = Phase::kIdle;
    lowest().expires_after(requests_ == 0 ? state_->settings.header_timeout : state_->settings.idle_timeout);
    if (requests_ > 0) set_evictable(std::chrono::steady_clock::now());
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) { self->on_first_bytes(ec, n); });
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    if (was_evicted(ec)) return close();
    if (ec) return;  // timeout, EOF or drain: nothing in flight, just close
    buffer_.commit(n);
    read_header();
  }

  void read_header() {
    phase_ = Phase::kRequest;
    started_ = std::chrono::steady_clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->settings.max_header_bytes));
    // No body limit while the header is read: Beast would fail an oversized
    // Content-Length before the header is complete, and the handler must see
    // the whole header (path, signature) to answer 404 or 401 or 413.
    // read_body() sets the limit.
    parser_->body_limit(boost::none);
    // The first request's deadline runs on from wait_for_request().
    if (requests_ > 0) {
      lowest().expires_after(state_->settings.header_timeout);
      set_busy();  // a kept-alive client's next request is never cut
    }
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      return send_error(431, "the request header is larger than max_header_bytes");
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return;
    if (was_evicted(ec)) return close();
    // A parse error deserves an answer; a timeout or a vanished peer does not.
    if (ec && is_parse_error(ec)) return send_error(400, "malformed HTTP request");
    if (ec) return;
    ++requests_;
    set_busy();

    const auto& req = parser_->get();
    head_ = webhook::RequestHead{};
    head_.method = req.method_string();
    head_.target = req.target();
    head_.event = header(req, "X-drchrono-event");
    head_.signature = header(req, "X-drchrono-signature");
    head_.delivery = header(req, "X-drchrono-delivery");
    for (std::string_view name : {"X-drchrono-event", "X-drchrono-signature", "X-drchrono-delivery"}) {
      if (req.count(name) > 1) head_.repeated_header = name;
    }
    if (auto len = parser_->content_length()) head_.content_length = *len;
    head_.has_body = !parser_->is_done();
    head_.received = webhook::Clock::now();
    head_.source = peer_.source;

    auto decision = state_->handler.on_head(head_);
    if (auto* reply = std::get_if<webhook::Reply>(&decision)) return send(std::move(*reply));
    accepted_ = std::get<webhook::ReadBody>(decision);
    if (parser_->is_done()) return on_body({});

    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, req.version());
      lowest().expires_after(state_->settings.write_timeout);
      return http::async_write(stream_, *continue_,
                               [self = this->shared_from_this()](beast::error_code wec, std::size_t) {
                                 if (wec) return;
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    // on_head refused a declared length over the limit; this catches chunked bodies.
    parser_->body_limit(state_->settings.max_body_bytes);
    lowest().expires_after(state_->settings.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) return send(state_->handler.body_too_large(head_, accepted_));
    // A body Beast cannot parse (a malformed chunk) deserves an answer and an
    // access line; a timeout or a client gone mid-body leaves no one to answer.
    if (ec && is_parse_error(ec)) return send(state_->handler.malformed_body(head_, accepted_));
    if (ec) return;
    body_bytes_ = parser_->get().body().size();
    auto decision = state_->handler.on_body(head_, accepted_, std::move(parser_->get().body()));
    if (auto* reply = std::get_if<webhook::Reply>(&decision)) return send(std::move(*reply));

    // Completes on the writer thread; hop back onto this session's strand.
    state_->store.submit(
        std::move(std::get<webhook::Store>(decision).record), [self = this->shared_from_this()](AppendOutcome outcome) {
          asio::post(self->stream_.get_executor(), [self, outcome = std::move(outcome)] { self->on_stored(outcome); });
        });
  }

  void on_stored(const AppendOutcome& outcome) {
    webhook::Reply r = state_->handler.reply_for(head_, accepted_, outcome);
    if (outcome.kind == AppendOutcome::Kind::kFailed) {
      spdlog::error("store failed webhook={} delivery={} reason={}", r.webhook, logging::sanitize(r.delivery),
                    outcome.error);
    } else if (outcome.kind == AppendOutcome::Kind::kDuplicate) {
      spdlog::info("duplicate delivery webhook={} delivery={} seq={} attempts={}", r.webhook,
                   logging::sanitize(r.delivery), outcome.seq, outcome.attempts);
    } else if (outcome.conflicts_with) {
      spdlog::warn(
          "conflicting delivery webhook={} delivery={} event={} seq={} conflicts_with={}: this delivery id was stored "
          "before with another event or body; both rows are kept",
          r.webhook, logging::sanitize(r.delivery), r.event, outcome.seq, *outcome.conflicts_with);
    }
    if (r.first_unknown_event) {
      spdlog::warn("unknown event name {} stored (webhook={}); further ones are counted, not logged", r.event,
                   r.webhook);
    }
    send(std::move(r));
  }

  // An answer to a request that could not be parsed: no head to speak of.
  void send_error(int status, std::string_view message) {
    webhook::Reply r;
    r.status = status;
    r.body = webhook::error_body(message);
    head_ = webhook::RequestHead{};
    send(std::move(r));
  }

  void send(webhook::Reply reply) {
    reply_ = std::move(reply);
    state_->counters->requests_by_status.count(reply_.webhook, reply_.status);
    const bool head_request = head_.method == "HEAD";
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    // A body we did not read poisons the connection: answer, then close.
    const bool body_unread = parser_ && parser_->is_header_done() && !parser_->is_done();
    // Only a request that earned a 2xx keeps its connection: a client that is
    // refused (wrong path, signature, method, size, rate) must reconnect, so
    // it cannot hold a slot by asking the same wrong thing forever.
    const bool refused = reply_.status < 200 || reply_.status >= 300;
    const bool keep = !refused && !body_unread && parser_ && parser_->get().keep_alive() &&
                      !state_->draining.load(std::memory_order_relaxed);
    linger_ = body_unread || refused;

    res_ = {};
    res_.version(version);
    res_.result(static_cast<unsigned>(reply_.status));
    res_.set(http::field::content_type, "application/json");
    if (reply_.retry_after_seconds) res_.set(http::field::retry_after, std::to_string(*reply_.retry_after_seconds));
    if (reply_.allow_get_post) res_.set(http::field::allow, "GET, POST");
    if (reply_.no_store) res_.set(http::field::cache_control, "no-store");
    res_.keep_alive(keep);
    bytes_out_ = reply_.body.size();
    if (head_request) {
      res_.content_length(0);
    } else {
      res_.body() = std::move(reply_.body);
      res_.prepare_payload();
    }
    lowest().expires_after(state_->settings.write_timeout);
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    log_access();
    if (ec) return;
    if (!res_.keep_alive()) return close();
    parser_.reset();
    head_ = webhook::RequestHead{};
    body_bytes_ = 0;
    wait_for_request();
  }

  void log_access() {
    if (!state_->settings.access_log) return;
    const bool have_request = parser_ && parser_->is_header_done();
    const std::string_view target = have_request ? std::string_view(parser_->get().target()) : std::string_view{};
    logging::access(logging::AccessEntry{
        have_request ? std::string_view(parser_->get().method_string()) : std::string_view("-"),
        target.empty() ? std::string_view("-") : target.substr(0, target.find('?')), reply_.status, reply_.webhook,
        reply_.event, reply_.delivery, body_bytes_, bytes_out_,
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_),
        peer_.text});
  }

  // Closes gracefully: TLS close_notify, then our FIN. A refused client may
  // still be sending (a body we will not read, pipelined requests); closing
  // with unread bytes would make the kernel reset the connection, which can
  // destroy the answer before the client reads it. So after the FIN we read
  // and discard for a short, bounded while (what web servers call a
  // lingering close); the client sees the answer and our EOF at once.
  void close() {
    phase_ = Phase::kClosing;
    set_busy();  // already on its way out
    if constexpr (kTls) {
      // Send our close_notify but do not wait for the client's (RFC 8446
      // allows it; the answer is framed by Content-Length): a client that
      // never answers would otherwise hold the session for the deadline.
      SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
      lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->half_close(); });
    } else {
      half_close();
    }
  }

  void half_close() {
    beast::error_code ignored;
    lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    if (!linger_) return;                             // the socket closes with the session
    set_evictable(std::chrono::steady_clock::now());  // the answer is out: nothing left to lose
    lowest().expires_after(kLingerTime);
    linger_left_ = kLingerBytes;
    linger_step();
  }

  // Below TLS: what is discarded need not be decrypted.
  void linger_step() {
    lowest().async_read_some(asio::buffer(scratch_),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                               if (ec || n >= self->linger_left_) return;  // EOF, deadline or enough: close
                               self->linger_left_ -= n;
                               self->linger_step();
                             });
  }

  static constexpr std::size_t kReadChunk = 4096;
  static constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
  static constexpr std::chrono::seconds kLingerTime{2};

  Stream stream_;
  std::shared_ptr<SharedState> state_;
  Peer peer_;
  Phase phase_ = Phase::kHandshake;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  http::response<http::string_body> res_;
  webhook::RequestHead head_;
  webhook::ReadBody accepted_;
  webhook::Reply reply_;
  std::uint64_t requests_ = 0;
  std::size_t body_bytes_ = 0;
  std::size_t bytes_out_ = 0;
  std::size_t linger_left_ = 0;
  bool linger_ = false;
  bool evictable_ = false;
  bool evicted_ = false;
  std::chrono::steady_clock::time_point started_{};
  std::array<char, 16 * 1024> scratch_{};
};

}  // namespace chronohook::net

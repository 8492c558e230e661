#include "support/http_client.hpp"

#include <openssl/ssl.h>
#include <poll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>
#include <utility>

namespace chronohook::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;

bool iequal(std::string_view a, std::string_view b) {
  return beast::iequals(a, b);
}

bool has_header(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (iequal(h.name, name)) return true;
  }
  return false;
}

}  // namespace

std::string Request::serialize_head(std::size_t content_length) const {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n";
  for (const Header& h : headers) out += h.name + ": " + h.value + "\r\n";
  if (!has_header(headers, "Content-Length") && !has_header(headers, "Transfer-Encoding")) {
    out += "Content-Length: " + std::to_string(content_length) + "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string Request::serialize(bool keep_alive) const {
  Request copy = *this;
  if (!keep_alive && !has_header(headers, "Connection")) copy.headers.push_back({"Connection", "close"});
  std::string out;
  const bool framed = has_header(headers, "Content-Length") || has_header(headers, "Transfer-Encoding");
  if (framed || (body.empty() && method != "POST" && method != "PUT")) {
    // No Content-Length of our own: the caller framed the body, or there is none.
    out = copy.method + " " + copy.target + " HTTP/1.1\r\nHost: localhost\r\n";
    for (const Header& h : copy.headers) out += h.name + ": " + h.value + "\r\n";
    out += "\r\n";
  } else {
    out = copy.serialize_head(body.size());
  }
  return out + body;
}

std::optional<std::string> Response::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequal(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::size_t Response::header_count(std::string_view name) const {
  std::size_t n = 0;
  for (const Header& h : headers) n += iequal(h.name, name) ? 1 : 0;
  return n;
}

struct Connection::Impl {
  asio::io_context ioc;
  asio::ssl::context ssl_ctx{asio::ssl::context::tls_client};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout{};

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Starts one async operation with the stream's deadline set and runs the
  // private io_context until it completes. The tcp_stream deadline makes the
  // operation itself fail with beast::error::timeout; the outer bound below
  // is a second line of defence should a completion never arrive.
  template <typename Start>
  std::pair<beast::error_code, std::size_t> run(Start&& start) {
    lowest().expires_after(timeout);
    bool done = false;
    beast::error_code result;
    std::size_t bytes = 0;
    start([&done, &result, &bytes](beast::error_code ec, std::size_t n) {
      done = true;
      result = ec;
      bytes = n;
    });
    ioc.restart();
    const auto deadline = SteadyClock::now() + timeout + std::chrono::seconds(2);
    while (!done && ioc.run_one_until(deadline) > 0) {
    }
    if (!done) {
      beast::error_code ignored;
      lowest().socket().close(ignored);
      ioc.restart();
      ioc.run_for(std::chrono::seconds(1));
      if (!done) throw std::runtime_error("http_client: an operation neither completed nor timed out");
    }
    return {result, bytes};
  }

  template <typename Fn>
  auto with_stream(Fn&& fn) {
    if (tls) return fn(*tls);
    return fn(*plain);
  }
};

Connection::Connection(std::uint16_t port, const ClientOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->timeout = options.timeout;
  if (options.tls) {
    if (options.trust_cert.empty()) {
      impl_->ssl_ctx.set_verify_mode(asio::ssl::verify_none);
    } else {
      impl_->ssl_ctx.load_verify_file(options.trust_cert.string());
      impl_->ssl_ctx.set_verify_mode(asio::ssl::verify_peer);
    }
    impl_->tls.emplace(impl_->ioc, impl_->ssl_ctx);
    SSL* ssl = impl_->tls->native_handle();
    // The name the test certificate carries; checked only when verifying.
    SSL_set_tlsext_host_name(ssl, "localhost");
    if (!options.trust_cert.empty()) SSL_set1_host(ssl, "localhost");
  } else {
    impl_->plain.emplace(impl_->ioc);
  }

  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  if (!options.source_address.empty()) {
    // async_connect keeps a socket that is already open, and so its bound address.
    beast::error_code bind_ec;
    auto& socket = impl_->lowest().socket();
    const auto source = asio::ip::make_address(options.source_address, bind_ec);
    if (!bind_ec) socket.open(asio::ip::tcp::v4(), bind_ec);
    if (!bind_ec) socket.bind({source, 0}, bind_ec);
    if (bind_ec) {
      throw std::runtime_error("http_client: bind to " + options.source_address + ": " + bind_ec.message());
    }
  }
  const beast::error_code ec =
      impl_
          ->run([&](auto handler) {
            impl_->lowest().async_connect(endpoint, [handler](beast::error_code e) mutable { handler(e, 0); });
          })
          .first;
  if (ec) throw std::runtime_error("http_client: connect to 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  if (impl_->tls) {
    const beast::error_code hec =
        impl_
            ->run([&](auto handler) {
              impl_->tls->async_handshake(asio::ssl::stream_base::client,
                                          [handler](beast::error_code e) mutable { handler(e, 0); });
            })
            .first;
    if (hec) throw std::runtime_error("http_client: TLS handshake: " + hec.message());
  }
}

Connection::~Connection() {
  if (!impl_) return;
  beast::error_code ignored;
  // No TLS close_notify: a test connection may be mid-request, and the
  // daemon must cope with peers that vanish anyway.
  impl_->lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  impl_->lowest().socket().close(ignored);
}

void Connection::write(std::string_view bytes) {
  const beast::error_code ec = impl_
                                   ->run([&](auto handler) {
                                     impl_->with_stream([&](auto& stream) {
                                       asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()), handler);
                                     });
                                   })
                                   .first;
  if (ec) throw std::runtime_error("http_client: write: " + ec.message());
}

Response Connection::read_response() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  const beast::error_code ec =
      impl_
          ->run([&](auto handler) {
            impl_->with_stream([&](auto& stream) { http::async_read(stream, impl_->buffer, parser, handler); });
          })
          .first;
  if (ec) throw std::runtime_error("http_client: reading the response: " + ec.message());
  const auto& msg = parser.get();
  Response res;
  res.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg) res.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  res.body = msg.body();
  res.keep_alive = msg.keep_alive();
  return res;
}

Response Connection::send(const Request& request) {
  return send_raw(request.serialize());
}

Response Connection::send_raw(std::string_view bytes) {
  write(bytes);
  return read_response();
}

Response Connection::send_head_only(const Request& request, std::size_t content_length) {
  write(request.serialize_head(content_length));
  return read_response();
}

bool Connection::closed_by_peer() {
  if (impl_->buffer.size() > 0) return false;  // the server sent more than we read
  char byte = 0;
  const beast::error_code ec =
      impl_
          ->run([&](auto handler) {
            impl_->with_stream([&](auto& stream) { stream.async_read_some(asio::buffer(&byte, 1), handler); });
          })
          .first;
  if (!ec) return false;
  return ec != beast::error::timeout;
}

TrickleResult Connection::trickle(std::string_view bytes, std::chrono::milliseconds interval) {
  TrickleResult result;
  const auto start = SteadyClock::now();
  const int fd = impl_->lowest().socket().native_handle();
  for (char byte : bytes) {
    try {
      write(std::string_view(&byte, 1));
    } catch (const std::runtime_error&) {
      result.cut_off = true;  // the server had closed already
      break;
    }
    ++result.bytes_sent;
    // Only the server's FIN or a reset ends the trickle: plain readability
    // proves nothing under TLS 1.3, whose session tickets arrive unasked.
    pollfd p{fd, POLLRDHUP, 0};
    const int n = ::poll(&p, 1, static_cast<int>(interval.count()));
    if (n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
      result.cut_off = true;
      break;
    }
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
  return result;
}

Response send_once(std::uint16_t port, const ClientOptions& options, const Request& request) {
  Connection c(port, options);
  return c.send(request);
}

}  // namespace chronohook::testing

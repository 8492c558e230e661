// A small HTTP/1.1 client for the black-box tests, over TLS (verifying the
// test certificate) or plain TCP. It sends raw bytes as readily as
// well-formed requests, so tests can send what no real client would:
// repeated headers, chunked bodies, 100 000 nested brackets. Every socket
// operation runs under a deadline: a daemon that hangs fails the test
// instead of blocking it. Failures throw std::runtime_error, which GoogleTest
// reports as a test failure. Beast stays inside http_client.cpp so test
// files compile quickly.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chronohook::testing {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "POST";
  std::string target = "/webhook";
  std::vector<Header> headers;
  std::string body;

  // The request as HTTP/1.1 bytes: request line, Host, `headers` in order,
  // then Content-Length (unless `headers` already frame the body) and the body.
  std::string serialize(bool keep_alive = true) const;
  // Only the request line and headers, declaring `content_length` body bytes.
  std::string serialize_head(std::size_t content_length) const;
};

struct Response {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  bool keep_alive = false;

  // The first header called `name` (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
  std::size_t header_count(std::string_view name) const;
};

struct ClientOptions {
  bool tls = true;
  std::filesystem::path trust_cert;  // empty: do not verify the server
  std::chrono::milliseconds timeout{10'000};
  // The loopback address to connect from, e.g. "127.0.0.2" (Linux routes all
  // of 127.0.0.0/8 to lo), so one test can be several sources. Empty: the
  // kernel's choice (127.0.0.1).
  std::string source_address;
};

struct TrickleResult {
  bool cut_off = false;  // the server closed before every byte was sent
  std::size_t bytes_sent = 0;
  std::chrono::milliseconds elapsed{0};  // from the call to the cut-off or the last byte
};

// One connection to 127.0.0.1:port; several requests may share it.
class Connection {
 public:
  // Connects and, with TLS, completes the handshake. Throws on failure.
  Connection(std::uint16_t port, const ClientOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Response send(const Request& request);
  Response send_raw(std::string_view bytes);  // writes the bytes, reads one response

  void write(std::string_view bytes);
  Response read_response();

  // Writes a request head that declares `content_length` body bytes but none
  // of the body, then reads the answer: a server that checks the declared
  // size answers at once; one that waits for the body fails on the deadline.
  Response send_head_only(const Request& request, std::size_t content_length);

  // True when the server closes the connection within the deadline without
  // sending anything more.
  bool closed_by_peer();

  // Sends `bytes` one byte at a time, `interval` apart (a slow-loris client),
  // and stops as soon as the server closes the connection.
  TrickleResult trickle(std::string_view bytes, std::chrono::milliseconds interval);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A fresh connection for one request.
Response send_once(std::uint16_t port, const ClientOptions& options, const Request& request);

}  // namespace chronohook::testing

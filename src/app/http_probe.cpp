#include "app/http_probe.hpp"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

namespace chronohook::app {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct SslFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  void operator()(SSL* s) const { SSL_free(s); }
};

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "TLS error";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  ERR_clear_error();
  return text;
}

// Waits for `events` on `fd` until the deadline; false when it passed.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

Result<int> connect_to(const ProbeTarget& t, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(t.port);
  if (const int rc = ::getaddrinfo(t.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Error{std::string("cannot resolve the host: ") + ::gai_strerror(rc)};
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  std::string why = "no address";
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    Fd s{::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol)};
    if (s.fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    if (::connect(s.fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        why = std::strerror(errno);
        continue;
      }
      if (!wait_for(s.fd, POLLOUT, deadline)) return Error{"no connection within the timeout"};
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        why = std::strerror(err);
        continue;
      }
    }
    const int fd = s.fd;
    s.fd = -1;
    return fd;
  }
  return Error{why};
}

// A byte stream over the socket, with or without TLS, every call bounded by
// the deadline.
class Stream {
 public:
  Stream(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}
  ~Stream() {
    ssl_.reset();
    ::close(fd_);
  }

  Status start_tls(const std::filesystem::path& trust_file) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) return Error{openssl_reason()};
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx_.get(), trust_file.c_str(), nullptr) != 1) {
      return Error{"cannot load the certificate from [admin] tls_cert: " + openssl_reason()};
    }
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx_.get()), X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    ssl_.reset(SSL_new(ctx_.get()));
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) return Error{openssl_reason()};
    for (;;) {
      const int rc = SSL_connect(ssl_.get());
      if (rc == 1) return Status::Ok();
      if (auto st = wait_tls(rc, "TLS handshake"); !st) {
        const long verify = SSL_get_verify_result(ssl_.get());
        if (verify != X509_V_OK) {
          return Error{std::string("the listener's certificate is not the one in [admin] tls_cert (") +
                       X509_verify_cert_error_string(verify) + ")"};
        }
        return st;
      }
    }
  }

  Status write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      long n = 0;
      if (ssl_) {
        n = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size()));
        if (n <= 0) {
          if (auto st = wait_tls(static_cast<int>(n), "write"); !st) return st;
          continue;
        }
      } else {
        n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno != EAGAIN && errno != EINTR) return Error{std::string("write failed: ") + std::strerror(errno)};
          if (!wait_for(fd_, POLLOUT, deadline_)) return Error{"no answer within the timeout"};
          continue;
        }
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status::Ok();
  }

  // Appends what arrives to `out`; false at the end of the stream.
  Result<bool> read_some(std::string& out) {
    char buf[4096];
    for (;;) {
      if (ssl_) {
        const int n = SSL_read(ssl_.get(), buf, sizeof buf);
        if (n > 0) {
          out.append(buf, static_cast<std::size_t>(n));
          return true;
        }
        const int err = SSL_get_error(ssl_.get(), n);
        if (err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL) return false;
        if (auto st = wait_tls(n, "read"); !st) return st.error();
      } else {
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
          out.append(buf, static_cast<std::size_t>(n));
          return true;
        }
        if (n == 0) return false;
        if (errno != EAGAIN && errno != EINTR) return Error{std::string("read failed: ") + std::strerror(errno)};
        if (!wait_for(fd_, POLLIN, deadline_)) return Error{"no answer within the timeout"};
      }
    }
  }

 private:
  // After an SSL call returned `rc`: waits for the socket when OpenSSL
  // wants it; an error otherwise.
  Status wait_tls(int rc, std::string_view what) {
    const int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!wait_for(fd_, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_)) {
        return Error{"no answer within the timeout"};
      }
      return Status::Ok();
    }
    return Error{std::string(what) + " failed: " + openssl_reason()};
  }

  int fd_;
  Clock::time_point deadline_;
  std::unique_ptr<SSL_CTX, SslFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

// The status and, once the whole body (by Content-Length) is there, the
// body; nullopt while more is needed.
std::optional<ProbeAnswer> parse(const std::string& bytes, bool at_end) {
  const std::size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  ProbeAnswer a;
  const std::size_t space = bytes.find(' ');
  if (!bytes.starts_with("HTTP/1.") || space == std::string::npos || space > head_end) return std::nullopt;
  std::from_chars(bytes.data() + space + 1, bytes.data() + std::min(head_end, space + 4), a.status);
  std::optional<std::size_t> length;
  std::size_t line = bytes.find("\r\n");
  while (line < head_end) {
    const std::size_t next = bytes.find("\r\n", line + 2);
    std::string name = bytes.substr(line + 2, std::min(next, head_end) - line - 2);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.starts_with("content-length:")) {
      std::size_t v = 0;
      const char* p = name.data() + 15;
      while (*p == ' ') ++p;
      std::from_chars(p, name.data() + name.size(), v);
      length = v;
    }
    line = next;
  }
  const std::size_t body_at = head_end + 4;
  if (length && bytes.size() - body_at >= *length) {
    a.body = bytes.substr(body_at, *length);
    return a;
  }
  if (!length && at_end) {
    a.body = bytes.substr(body_at);
    return a;
  }
  return std::nullopt;
}

}  // namespace

Result<ProbeAnswer> http_get(const ProbeTarget& t) {
  const Clock::time_point deadline = Clock::now() + t.timeout;
  auto fd = connect_to(t, deadline);
  if (!fd) return fd.error();
  Stream stream(*fd, deadline);
  if (!t.trust_file.empty()) {
    if (auto st = stream.start_tls(t.trust_file); !st) return st.error();
  }
  const bool v6 = t.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + t.host + "]" : t.host;
  const std::string request = "GET " + t.path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(t.port) +
                              "\r\nUser-Agent: chronohook-healthcheck\r\nConnection: close\r\n\r\n";
  if (auto st = stream.write_all(request); !st) return st.error();
  std::string bytes;
  for (;;) {
    auto more = stream.read_some(bytes);
    if (!more) return more.error();
    if (auto answer = parse(bytes, !*more)) return *answer;
    if (!*more) return Error{"the connection closed before a whole HTTP answer"};
    if (bytes.size() > kMaxAnswerBytes) return Error{"the answer is larger than 64 KiB"};
  }
}

}  // namespace chronohook::app

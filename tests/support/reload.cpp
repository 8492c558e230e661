#include "support/reload.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/test_certs.hpp"

namespace chronohook::testing {
namespace {

constexpr std::string_view kFinished = "reload finished: ";

std::string hex_sha256(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &len) != 1) throw std::runtime_error("X509_digest failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}

std::size_t count_of(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace

void rewrite_config(const Daemon& daemon, std::string_view toml) {
  // Written beside it and renamed over it, as an editor or a deploy tool
  // would: a reload never reads half a file.
  const std::filesystem::path tmp = daemon.dir() / "chronohook.toml.new";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("rewrite_config: cannot create " + tmp.string());
  const ssize_t n = ::write(fd, toml.data(), toml.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(toml.size())) throw std::runtime_error("rewrite_config: short write");
  std::filesystem::rename(tmp, daemon.config_path());
}

std::string replace_certificate(const Daemon& daemon) {
  const CertFiles files = write_self_signed_cert(daemon.dir());
  return certificate_sha256(files.cert);
}

std::size_t reloads_finished(const Daemon& daemon) {
  return count_of(daemon.log_text(), kFinished);
}

std::string reload(Daemon& daemon) {
  const std::size_t before = reloads_finished(daemon);
  daemon.signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const std::string log = daemon.log_text();
    if (count_of(log, kFinished) > before) {
      // The (before+1)-th summary line, whole.
      std::size_t at = 0;
      for (std::size_t i = 0; i <= before; ++i) at = log.find(kFinished, i == 0 ? 0 : at + kFinished.size());
      const std::size_t end = log.find('\n', at);
      if (end != std::string::npos) return log.substr(at, end - at);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("no \"reload finished\" line within 10 s of SIGHUP; log:\n" + daemon.log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string certificate_sha256(const std::filesystem::path& pem) {
  std::FILE* f = std::fopen(pem.c_str(), "r");
  if (f == nullptr) throw std::runtime_error("certificate_sha256: cannot open " + pem.string());
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) throw std::runtime_error("certificate_sha256: no certificate in " + pem.string());
  std::string out;
  try {
    out = hex_sha256(cert);
  } catch (...) {
    X509_free(cert);
    throw;
  }
  X509_free(cert);
  return out;
}

std::string presented_certificate_sha256(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("presented_certificate_sha256: socket failed");
  // Blocking I/O under a deadline: a daemon that hangs fails the test.
  const timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  std::string out;
  std::string error;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error = "connect failed";
  } else if ((ctx = SSL_CTX_new(TLS_client_method())) == nullptr || (ssl = SSL_new(ctx)) == nullptr) {
    error = "SSL_new failed";
  } else {
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    X509* cert = nullptr;
    if (SSL_connect(ssl) != 1) {
      error = "TLS handshake failed";
    } else if ((cert = SSL_get1_peer_certificate(ssl)) == nullptr) {
      error = "no peer certificate";
    } else {
      out = hex_sha256(cert);
      X509_free(cert);
    }
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  if (!error.empty()) throw std::runtime_error("presented_certificate_sha256: " + error);
  return out;
}

std::string log_lines_with(const Daemon& daemon, std::string_view text) {
  std::istringstream in(daemon.log_text());
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    if (line.find(text) != std::string::npos) out += line + "\n";
  }
  return out;
}

}  // namespace chronohook::testing

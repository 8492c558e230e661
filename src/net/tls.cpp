#include "chronohook/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace chronohook::tls {
namespace {

namespace ssl = boost::asio::ssl;

// ECDHE key exchange with AEAD ciphers only, for TLS 1.2 (TLS 1.3 suites are
// all AEAD and keep OpenSSL's default order).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_context(const std::filesystem::path& chain_file,
                                                          const std::filesystem::path& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ERR_clear_error();

  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Error{"tls: the cipher list was refused: " + openssl_reason()};
  }
  if (SSL_CTX_set1_groups_list(native, "X25519:P-256:P-384") != 1) {
    return Error{"tls: the key exchange groups were refused: " + openssl_reason()};
  }
  // Resumption: tickets (stateless) and a server-side cache for TLS 1.2 ids.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  static const unsigned char kSessionContext[] = "chronohook";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);

  if (SSL_CTX_use_certificate_chain_file(native, chain_file.c_str()) != 1) {
    return Error{"tls: cannot load the certificate chain from " + chain_file.string() +
                 " (tls_cert): " + openssl_reason()};
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL 3 compares the key with the certificate as it loads it: say
    // so in words (a renewal that replaced one file of the pair).
    const unsigned long code = ERR_peek_last_error();
    if (ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return Error{"tls: the private key in " + key_file.string() + " does not match the certificate in " +
                   chain_file.string()};
    }
    return Error{"tls: cannot load the private key from " + key_file.string() + " (tls_key): " + openssl_reason()};
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return Error{"tls: the private key in " + key_file.string() + " does not match the certificate in " +
                 chain_file.string()};
  }
  return ctx;
}

}  // namespace chronohook::tls

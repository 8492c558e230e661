// The public listener's TLS settings: TLS 1.2 and 1.3 only, forward-secret
// AEAD ciphers, the full certificate chain from the file, session tickets on.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "chronohook/result.hpp"

namespace chronohook::tls {

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const std::filesystem::path& chain_file,
                                                                       const std::filesystem::path& key_file);

// What a log line may say about the certificate a context serves (nothing
// about its key), and a fingerprint of the whole chain, so that a reload can
// tell a renewed certificate from the same one read again.
struct CertificateInfo {
  std::string subject;       // "CN=localhost,O=..." (RFC 2253), or "-"
  std::string serial;        // hex, or "-"
  std::string not_after;     // "2027-03-01 12:00:00 UTC"-like, as OpenSSL prints it, or "-"
  std::string chain_sha256;  // hex SHA-256 over the DER of the leaf and of each chain certificate
  bool expired = false;      // not_after has passed
};
CertificateInfo describe_certificate(boost::asio::ssl::context& ctx);

}  // namespace chronohook::tls

// A throwaway TLS identity for the daemon under test: a self-signed P-256
// certificate for localhost / 127.0.0.1, made in-process with OpenSSL 3 so the
// suite needs no openssl binary and no fixture files that could expire.
#pragma once

#include <filesystem>

namespace chronohook::testing {

struct CertFiles {
  std::filesystem::path cert;  // PEM certificate; also the client's trust anchor
  std::filesystem::path key;   // PEM private key, mode 0600
};

// Writes cert.pem and key.pem into `dir`. Throws std::runtime_error with
// OpenSSL's reason on failure.
CertFiles write_self_signed_cert(const std::filesystem::path& dir);

}  // namespace chronohook::testing

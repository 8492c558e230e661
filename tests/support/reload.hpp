// Reloading the daemon under test: rewrite its files, send SIGHUP, wait for
// the line that says what came of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "support/daemon.hpp"

namespace chronohook::testing {

// Replaces the daemon's config file (mode 0600) with `toml`.
void rewrite_config(const Daemon& daemon, std::string_view toml);

// Replaces cert.pem and key.pem in the daemon's directory with a new
// self-signed pair; returns the new certificate's SHA-256 fingerprint.
std::string replace_certificate(const Daemon& daemon);

// How many reloads the daemon has finished ("reload finished:" lines).
std::size_t reloads_finished(const Daemon& daemon);

// Sends SIGHUP and waits up to 10 s for the daemon's next "reload
// finished:" line; returns that line. Throws when none comes.
std::string reload(Daemon& daemon);

// Lowercase hex SHA-256 of the DER form of the first certificate in a PEM
// file: its fingerprint, as `openssl x509 -fingerprint -sha256` shows it.
std::string certificate_sha256(const std::filesystem::path& pem);

// Opens a TLS connection to 127.0.0.1:`port` (without verifying: it is the
// certificate itself that is compared) and returns the fingerprint of the
// certificate the server presents. Throws when the handshake fails.
std::string presented_certificate_sha256(std::uint16_t port);

// Every line of the daemon's log that contains `text`, joined by newlines.
std::string log_lines_with(const Daemon& daemon, std::string_view text);

}  // namespace chronohook::testing

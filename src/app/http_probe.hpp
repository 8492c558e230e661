// One small HTTP/1.1 GET with a deadline over the whole exchange, plain or
// TLS, for `chronohook healthcheck`: a blocking client on a socket and
// OpenSSL, without Beast (nothing here is worth its compile time).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "chronohook/result.hpp"

namespace chronohook::app {

struct ProbeTarget {
  std::string host;  // a numeric address or a name; no brackets
  std::uint16_t port = 0;
  std::string path = "/readyz";
  // TLS when set: the server's certificate must chain to one in this PEM
  // file (a leaf or an intermediate is enough: partial chains are accepted).
  // The host name is not checked: the file pins what may answer.
  std::filesystem::path trust_file;
  std::chrono::milliseconds timeout{5'000};
};

struct ProbeAnswer {
  int status = 0;
  std::string body;
};

Result<ProbeAnswer> http_get(const ProbeTarget& target);

}  // namespace chronohook::app

#include "chronohook/source_key.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace chronohook {
namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

SourceKey source_key_of(const std::array<std::uint8_t, 16>& ipv6_bytes) {
  SourceKey key = ipv6_bytes;
  const bool v4_mapped = std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), ipv6_bytes.begin());
  if (!v4_mapped) std::fill(key.begin() + 8, key.end(), 0);
  return key;
}

SourceKey source_key_of_peer(std::string_view peer) {
  SourceKey unknown;
  unknown.fill(0xff);
  std::string host;
  if (!peer.empty() && peer.front() == '[') {
    const std::size_t close = peer.find(']');
    if (close == std::string_view::npos) return unknown;
    host.assign(peer.substr(1, close - 1));
  } else {
    const std::size_t colon = peer.rfind(':');
    if (colon == std::string_view::npos) return unknown;
    host.assign(peer.substr(0, colon));
  }
  std::array<std::uint8_t, 16> bytes{};
  std::array<std::uint8_t, 4> v4{};
  if (inet_pton(AF_INET, host.c_str(), v4.data()) == 1) {
    std::copy(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes.begin());
    std::copy(v4.begin(), v4.end(), bytes.begin() + 12);
  } else if (inet_pton(AF_INET6, host.c_str(), bytes.data()) != 1) {
    return unknown;
  }
  return source_key_of(bytes);
}

}  // namespace chronohook

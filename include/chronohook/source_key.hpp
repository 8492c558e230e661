// Whom a per-source limit counts: one rule for the connection cap (src/net)
// and the verification rate limit (src/webhook). An IPv4 address counts by
// itself (its IPv4-mapped IPv6 form is the same source); an IPv6 address by
// its /64, the block one host usually holds, so it cannot pick a fresh
// address per connection. Kept as 16 bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chronohook {

using SourceKey = std::array<std::uint8_t, 16>;

// From an address's 16 IPv6 bytes (IPv4 given in its IPv4-mapped form).
SourceKey source_key_of(const std::array<std::uint8_t, 16>& ipv6_bytes);

// From a peer as the session prints it ("192.0.2.7:51234",
// "[2001:db8::1]:443"). Anything unparseable is one shared key (all 0xff).
SourceKey source_key_of_peer(std::string_view peer);

struct SourceKeyHash {
  std::size_t operator()(const SourceKey& k) const noexcept {
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
  }
};

}  // namespace chronohook

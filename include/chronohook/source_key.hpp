// Whom a per-source limit counts, for the connection cap (src/net) and the
// verification rate limit (src/webhook) alike: the listener computes it once
// per connection (net::source_key) and every request carries it. An IPv4
// address counts by itself (its IPv4-mapped IPv6 form is the same source);
// an IPv6 address by its /64, the block one host usually holds, so it cannot
// pick a fresh address per connection. Kept as 16 bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace chronohook {

using SourceKey = std::array<std::uint8_t, 16>;

struct SourceKeyHash {
  std::size_t operator()(const SourceKey& k) const noexcept {
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
  }
};

}  // namespace chronohook

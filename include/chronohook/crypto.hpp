// The three cryptographic primitives the protocol needs, over OpenSSL 3.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chronohook/secret.hpp"

namespace chronohook::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view data);

// HMAC-SHA256(key, message) as 64 lowercase hex characters: what Python's
// hmac.new(key, msg, hashlib.sha256).hexdigest() gives.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Lowercase hex of arbitrary bytes.
std::string to_hex(const std::uint8_t* data, std::size_t size);

// True when `presented` equals one of `accepted`. Compares SHA-256 digests with
// CRYPTO_memcmp and always looks at every candidate, so neither the length nor
// the content of the presented value, nor which secret matched, shows in the
// time taken.
bool matches_any_secret(std::string_view presented, const std::vector<Secret>& accepted);

// Cryptographically random bytes as lowercase hex (for generated secrets).
std::string random_hex(std::size_t bytes);

}  // namespace chronohook::crypto

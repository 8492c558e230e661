#include "chronohook/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace chronohook::crypto {

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size()) {
    // Only possible if OpenSSL itself is broken; nothing sensible can continue.
    throw std::runtime_error("crypto: SHA-256 failed inside OpenSSL");
  }
  return out;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  Digest mac{};
  unsigned int len = 0;
  // An empty key is legal HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  const auto* msg_ptr = message.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), msg_ptr, message.size(), mac.data(), &len) == nullptr ||
      len != mac.size()) {
    throw std::runtime_error("crypto: HMAC-SHA256 failed inside OpenSSL");
  }
  return to_hex(mac.data(), mac.size());
}

bool matches_any_secret(std::string_view presented, const std::vector<Secret>& accepted) {
  const Digest presented_digest = sha256(presented);
  int matched = 0;
  for (const Secret& secret : accepted) {
    matched |= static_cast<int>(CRYPTO_memcmp(presented_digest.data(), secret.digest().data(), 32) == 0);
  }
  return matched != 0;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("crypto: the random generator failed");
  }
  std::string hex = to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  OPENSSL_cleanse(raw.data(), raw.size());
  return hex;
}

}  // namespace chronohook::crypto

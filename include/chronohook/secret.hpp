// A webhook secret. It can be used as an HMAC key and compared against a
// presented signature, but it cannot be printed, formatted or streamed, so it
// cannot reach a log line by accident. Its bytes are wiped on destruction.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace chronohook {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string bytes);
  Secret(const Secret& other);
  Secret& operator=(const Secret& other);
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  // The raw key bytes, for HMAC. Never log them.
  std::string_view expose() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  // SHA-256 of the secret, computed once. Comparing digests of equal length
  // keeps the comparison constant-time whatever the presented length.
  const std::array<std::uint8_t, 32>& digest() const { return digest_; }

 private:
  void wipe();
  void compute_digest();

  std::string bytes_;
  std::array<std::uint8_t, 32> digest_{};
};

}  // namespace chronohook

#include "chronohook/secret.hpp"

#include <openssl/crypto.h>

#include "chronohook/crypto.hpp"

namespace chronohook {

Secret::Secret(std::string bytes) : bytes_(std::move(bytes)) {
  compute_digest();
}

Secret::Secret(const Secret& other) : bytes_(other.bytes_), digest_(other.digest_) {}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
    digest_ = other.digest_;
  }
  return *this;
}

Secret::Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)), digest_(other.digest_) {
  other.wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    digest_ = other.digest_;
    other.wipe();
  }
  return *this;
}

Secret::~Secret() {
  wipe();
}

void Secret::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
  OPENSSL_cleanse(digest_.data(), digest_.size());
}

void Secret::compute_digest() {
  digest_ = crypto::sha256(bytes_);
}

}  // namespace chronohook

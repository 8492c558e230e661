// Describing a loaded certificate for the reload's log lines.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "chronohook/tls.hpp"

namespace chronohook::tls {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// Whatever `print` writes into a memory BIO, or "-".
template <typename Print>
std::string printed(Print print) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || print(bio.get()) <= 0) return "-";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : "-";
}

std::string serial_hex(const X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return "-";
  char* hex = BN_bn2hex(bn);
  std::string out = hex != nullptr ? hex : "-";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

bool digest_der(EVP_MD_CTX* md, X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  if (len <= 0) return false;
  const bool ok = EVP_DigestUpdate(md, der, static_cast<std::size_t>(len)) == 1;
  OPENSSL_free(der);
  return ok;
}

}  // namespace

CertificateInfo describe_certificate(boost::asio::ssl::context& ctx) {
  CertificateInfo info{"-", "-", "-", ""};
  SSL_CTX* native = ctx.native_handle();
  X509* leaf = SSL_CTX_get0_certificate(native);
  if (leaf == nullptr) return info;
  info.subject =
      printed([&](BIO* b) { return X509_NAME_print_ex(b, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253); });
  info.serial = serial_hex(leaf);
  info.not_after = printed([&](BIO* b) { return ASN1_TIME_print(b, X509_get0_notAfter(leaf)); });
  info.expired = X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0;

  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1 || !digest_der(md.get(), leaf)) return info;
  STACK_OF(X509)* chain = nullptr;
  if (SSL_CTX_get0_chain_certs(native, &chain) == 1 && chain != nullptr) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      if (!digest_der(md.get(), sk_X509_value(chain, i))) return info;
    }
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (EVP_DigestFinal_ex(md.get(), out, &out_len) != 1) return info;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < out_len; ++i) {
    info.chain_sha256 += kHex[out[i] >> 4];
    info.chain_sha256 += kHex[out[i] & 0x0f];
  }
  return info;
}

}  // namespace chronohook::tls

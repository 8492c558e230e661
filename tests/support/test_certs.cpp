#include "support/test_certs.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace chronohook::testing {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

[[noreturn]] void fail(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  char reason[256] = "no OpenSSL reason";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  throw std::runtime_error("test_certs: " + what + ": " + reason);
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  // Self-signed: the certificate is its own issuer.
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext) fail(std::string("cannot build extension ") + value);
  if (X509_add_ext(cert, ext.get(), -1) != 1) fail(std::string("cannot add extension ") + value);
}

std::unique_ptr<std::FILE, FileClose> open_for_write(const std::filesystem::path& path, mode_t mode) {
  // Create with the final mode from the start: a private key must never be
  // readable by others, not even for a moment.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("test_certs: cannot create " + path.string());
  std::unique_ptr<std::FILE, FileClose> f(::fdopen(fd, "w"));
  if (!f) {
    ::close(fd);
    throw std::runtime_error("test_certs: cannot open " + path.string());
  }
  return f;
}

}  // namespace

CertFiles write_self_signed_cert(const std::filesystem::path& dir) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) fail("cannot generate a P-256 key");

  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) fail("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("X509_set_version");
  // A random serial: two test daemons never present the same (issuer, serial).
  ASN1_INTEGER* serial = X509_get_serialNumber(cert.get());
  BIGNUM* bn = BN_new();
  if (bn == nullptr || BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(bn, serial) == nullptr) {
    BN_free(bn);
    fail("cannot set a serial number");
  }
  BN_free(bn);
  // Backdated a little so clock skew between steps cannot make it "not yet valid".
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600);
  if (X509_set_pubkey(cert.get(), key.get()) != 1) fail("X509_set_pubkey");

  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("chronohook tests"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  if (X509_set_issuer_name(cert.get(), name) != 1) fail("X509_set_issuer_name");

  add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");

  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("X509_sign");

  CertFiles files{dir / "cert.pem", dir / "key.pem"};
  {
    auto f = open_for_write(files.key, 0600);
    if (PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      fail("cannot write " + files.key.string());
    }
  }
  {
    auto f = open_for_write(files.cert, 0644);
    if (PEM_write_X509(f.get(), cert.get()) != 1) fail("cannot write " + files.cert.string());
  }
  return files;
}

}  // namespace chronohook::testing

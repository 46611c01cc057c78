#include "daemon/tls_material.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/fs.h"

namespace slipway::daemon {
namespace {

namespace fs = std::filesystem;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

Error tls_error(const std::string& what) {
  return make_error(ErrorCode::kInternal, "TLS setup failed: " + what);
}

std::string to_pem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string to_pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Key read_key(const fs::path& path) {
  auto pem = read_file(path);
  if (!pem) return nullptr;
  Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  return Key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Cert read_cert(const fs::path& path) {
  auto pem = read_file(path);
  if (!pem) return nullptr;
  Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

Cert new_certificate(EVP_PKEY* key, const std::string& common_name, long days) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;  // serials must be positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60L * 60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 60 * 60);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Slipway"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

bool is_ip(const std::string& name) {
  return name.find_first_not_of("0123456789.") == std::string::npos ||
         name.find(':') != std::string::npos;
}

std::string subject_alt_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ",";
    out += (is_ip(n) ? "IP:" : "DNS:") + n;
  }
  return out;
}

Result<std::pair<Key, Cert>> create_ca(const fs::path& dir) {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return tls_error("cannot generate the CA key");
  Cert cert = new_certificate(key.get(), "Slipway local CA", 3650);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  if (!add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash")) {
    return tls_error("cannot build the CA certificate");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return tls_error("cannot sign the CA");
  if (auto s = write_file_atomic(dir / "ca.key", to_pem(key.get()), 0600); !s) return s.error();
  // Certificates are public (the tls dir itself is owner-only); keys are not.
  if (auto s = write_file_atomic(dir / "ca.pem", to_pem(cert.get()), 0644); !s) return s.error();
  return std::pair{std::move(key), std::move(cert)};
}

Status create_server_certificate(const fs::path& dir, const std::string& base, EVP_PKEY* ca_key,
                                 X509* ca_cert, const std::vector<std::string>& names) {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return tls_error("cannot generate the server key");
  // 825 days: the longest validity clients such as macOS accept for a server certificate.
  Cert cert = new_certificate(key.get(), names.front(), 825);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert));
  if (!add_extension(cert.get(), ca_cert, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), ca_cert, NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert.get(), ca_cert, NID_ext_key_usage, "serverAuth") ||
      !add_extension(cert.get(), ca_cert, NID_authority_key_identifier, "keyid:always") ||
      !add_extension(cert.get(), ca_cert, NID_subject_alt_name, subject_alt_names(names))) {
    return tls_error("cannot build the server certificate");
  }
  if (X509_sign(cert.get(), ca_key, EVP_sha256()) == 0) return tls_error("cannot sign");
  if (auto s = write_file_atomic(dir / (base + ".key"), to_pem(key.get()), 0600); !s) return s;
  if (auto s = write_file_atomic(dir / (base + ".pem"), to_pem(cert.get()) + to_pem(ca_cert), 0644);
      !s) {
    return s;
  }
  return write_file_atomic(dir / (base + ".names"), subject_alt_names(names) + "\n");
}

}  // namespace

Result<TlsMaterial> ensure_tls_material(const fs::path& tls_dir,
                                        const std::vector<std::string>& names,
                                        const std::string& base) {
  std::error_code ec;
  (void)make_directories(tls_dir, 0700);
  fs::permissions(tls_dir, fs::perms::owner_all, ec);
  Key ca_key = read_key(tls_dir / "ca.key");
  Cert ca_cert = read_cert(tls_dir / "ca.pem");
  bool new_ca = false;
  if (!ca_key || !ca_cert) {
    auto ca = create_ca(tls_dir);
    if (!ca) return ca.error();
    ca_key = std::move(ca->first);
    ca_cert = std::move(ca->second);
    new_ca = true;
  }
  auto recorded = read_file(tls_dir / (base + ".names"));
  const bool names_changed = !recorded || *recorded != subject_alt_names(names) + "\n";
  if (new_ca || names_changed || !fs::exists(tls_dir / (base + ".key"))) {
    if (auto s = create_server_certificate(tls_dir, base, ca_key.get(), ca_cert.get(), names); !s) {
      return s.error();
    }
  }
  return TlsMaterial{tls_dir / "ca.pem", tls_dir / (base + ".pem"), tls_dir / (base + ".key")};
}

}  // namespace slipway::daemon

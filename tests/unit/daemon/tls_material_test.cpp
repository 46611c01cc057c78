#include "daemon/tls_material.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <filesystem>

#include "common/fs.h"
#include "common/ids.h"

namespace slipway::daemon {
namespace {

namespace fs = std::filesystem;

X509* load_cert(const fs::path& path) {
  auto pem = read_file(path);
  BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// Verifies the server certificate against the CA for `host`, as a TLS client would.
bool verifies_for(const TlsMaterial& m, const std::string& host) {
  X509* ca = load_cert(m.ca_certificate);
  X509* leaf = load_cert(m.server_chain);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  if (host.find_first_not_of("0123456789.") == std::string::npos) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  return ok;
}

class TlsMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-tls-test-" + random_hex(6));
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(TlsMaterialTest, CreatesAChainValidForEveryName) {
  auto m = ensure_tls_material(dir_, {"localhost", "127.0.0.1", "::1", "*.apps.example.org"});
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(verifies_for(*m, "localhost"));
  EXPECT_TRUE(verifies_for(*m, "127.0.0.1"));
  EXPECT_TRUE(verifies_for(*m, "myapp.apps.example.org"));
  EXPECT_FALSE(verifies_for(*m, "example.com"));
  EXPECT_EQ(fs::status(dir_ / "ca.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(TlsMaterialTest, ReusesTheCaAndRenewsTheServerCertOnlyWhenNamesChange) {
  ASSERT_TRUE(ensure_tls_material(dir_, {"localhost"}).ok());
  const auto ca = *read_file(dir_ / "ca.pem");
  const auto server = *read_file(dir_ / "server.pem");
  ASSERT_TRUE(ensure_tls_material(dir_, {"localhost"}).ok());
  EXPECT_EQ(*read_file(dir_ / "server.pem"), server);
  auto renewed = ensure_tls_material(dir_, {"localhost", "paas.example.org"});
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(*read_file(dir_ / "ca.pem"), ca);
  EXPECT_NE(*read_file(dir_ / "server.pem"), server);
  EXPECT_TRUE(verifies_for(*renewed, "paas.example.org"));
}

}  // namespace
}  // namespace slipway::daemon

// The installation's own certificate authority and the API's server certificate, created on
// first start under DATA_DIR/tls/ and reused afterwards.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace slipway::daemon {

struct TlsMaterial {
  std::filesystem::path ca_certificate;  // ca.pem: what clients trust
  std::filesystem::path server_chain;    // <base>.pem: server certificate + CA
  std::filesystem::path server_key;      // <base>.key (0600)
};

// Creates the CA once, and a server certificate whenever the names it must cover change.
// `names` are DNS names or IP addresses (e.g. "localhost", "*.localhost", "127.0.0.1"); `base`
// names its files (<base>.pem, <base>.key): "server" for the API and router, "postgres" for the
// Postgres add-on's servers, each with a key of its own under the one CA.
Result<TlsMaterial> ensure_tls_material(const std::filesystem::path& tls_dir,
                                        const std::vector<std::string>& names,
                                        const std::string& base = "server");

}  // namespace slipway::daemon

// First-start and every-start preparation of the data dir: the admin account and its token.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/result.h"
#include "store/store.h"

namespace slipway::daemon {

struct AdminCredentials {
  store::Account account;
  std::filesystem::path token_file;      // DATA_DIR/admin-token, mode 0600
  std::optional<std::string> new_token;  // set only when this start created the token
};

// Ensures the admin account exists and has a token on file; creates both on first start.
Result<AdminCredentials> ensure_admin(store::Store& store, const std::filesystem::path& data_dir,
                                      const std::string& email);

}  // namespace slipway::daemon

#include "daemon/bootstrap.h"

#include "common/fs.h"

namespace slipway::daemon {

Result<AdminCredentials> ensure_admin(store::Store& store, const std::filesystem::path& data_dir,
                                      const std::string& email) {
  auto account = store.ensure_account(email);
  if (!account) return account.error();
  AdminCredentials out{*account, data_dir / "admin-token", std::nullopt};
  if (auto existing = read_file(out.token_file); existing && !existing->empty()) {
    std::string token = *existing;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    auto owner = store.authenticate(token);
    if (owner && *owner && (*owner)->id == account->id) return out;
  }
  // No usable token on file (first start, or the file was removed): issue one.
  auto token = store.issue_token(account->id, "admin token created by slipway server");
  if (!token) return token.error();
  if (auto s = write_file_atomic(out.token_file, *token + "\n", 0600); !s) return s.error();
  out.new_token = *token;
  return out;
}

}  // namespace slipway::daemon

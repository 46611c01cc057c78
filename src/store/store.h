// The state store: the only code that speaks SQL. Every public method is one transaction,
// safe to call from any thread, and reports failures as Result values.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/models.h"
#include "store/sqlite.h"

namespace slipway::store {

class Store {
 public:
  // Opens (creating if needed) the database file, applies migrations and durability settings.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& file);

  // --- accounts and tokens (accounts.cpp)
  Result<Account> ensure_account(const std::string& email);
  Result<Account> find_account(const std::string& id);
  // Issues a new API token and returns its plaintext; only a hash of its secret is kept.
  Result<std::string> issue_token(const std::string& account_id, const std::string& description);
  // The account a token belongs to, or nullopt when the token is unknown or malformed.
  Result<std::optional<Account>> authenticate(std::string_view token);

  // --- apps (apps.cpp)
  // Creates the app and its v1 "Initial release" together. kConflict when the name is taken.
  Result<App> create_app(const NewApp& app, const Account& owner);
  Result<App> find_app(std::string_view name_or_id);
  Result<std::vector<App>> list_apps(const std::optional<std::string>& owner_id);
  Result<App> update_app(const std::string& app_id, const AppUpdate& update);
  Status delete_app(const std::string& app_id);

  // --- config vars (config_vars.cpp)
  Result<ConfigVars> config_vars(const std::string& app_id);
  // Applies the changes and records the release they make, atomically. Fails with
  // kInvalidParams, changing nothing, if the resulting config would exceed `max_bytes`.
  Result<ConfigChangeOutcome> change_config(const std::string& app_id, const Account& user,
                                            const ConfigChanges& changes, std::size_t max_bytes);

  // --- releases (releases.cpp)
  Result<std::vector<Release>> list_releases(const std::string& app_id);
  // `ref` is a version number ("12") or a release id.
  Result<Release> find_release(const std::string& app_id, std::string_view ref);

  // PRAGMA integrity_check: "ok" or SQLite's report.
  Result<std::string> integrity_check();

 private:
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  // Runs `body` under the store lock, converting SqlError into a Result error.
  template <typename T, typename Body>
  Result<T> guarded(Body&& body) {
    std::lock_guard lock(mutex_);
    try {
      return body(*db_);
    } catch (const SqlError& e) {
      log_store_failure(e);
      return make_error(ErrorCode::kInternal, "The state store failed; nothing was changed.");
    }
  }
  static void log_store_failure(const SqlError& e);

  Release insert_release(const std::string& app_id, const Account& user,
                         const std::string& description, const ConfigVars& config);

  std::mutex mutex_;
  std::unique_ptr<Database> db_;
};

}  // namespace slipway::store

// Config vars: reads, and changes that atomically record the release they make.
#include "store/config_rows.h"
#include "store/store.h"

namespace slipway::store {
namespace {

std::size_t config_bytes(const ConfigVars& vars) {
  std::size_t total = 0;
  for (const auto& [k, v] : vars) total += k.size() + v.size();
  return total;
}

std::string join(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// Heroku's wording: "Set A, B config vars", "Remove A config vars".
std::string describe(const std::vector<std::string>& set, const std::vector<std::string>& removed) {
  if (removed.empty()) return "Set " + join(set) + " config vars";
  if (set.empty()) return "Remove " + join(removed) + " config vars";
  return "Set " + join(set) + " and remove " + join(removed) + " config vars";
}

}  // namespace

ConfigVars select_config(Database& db, const std::string& app_id) {
  auto q = db.prepare("SELECT key, value FROM config_vars WHERE app_id = ? ORDER BY key");
  q.bind(1, app_id);
  ConfigVars vars;
  while (q.step()) vars.emplace(q.text(0), q.text(1));
  return vars;
}

void write_config_var(Database& db, const std::string& app_id, const std::string& key,
                      const std::optional<std::string>& value) {
  if (value) {
    db.prepare(
          "INSERT INTO config_vars(app_id, key, value) VALUES (?,?,?)"
          " ON CONFLICT(app_id, key) DO UPDATE SET value = excluded.value")
        .bind(1, app_id)
        .bind(2, key)
        .bind(3, *value)
        .run();
  } else {
    db.prepare("DELETE FROM config_vars WHERE app_id = ? AND key = ?")
        .bind(1, app_id)
        .bind(2, key)
        .run();
  }
}

Result<ConfigVars> Store::config_vars(const std::string& app_id) {
  return guarded<ConfigVars>(
      [&](Database& db) -> Result<ConfigVars> { return select_config(db, app_id); });
}

Result<ConfigChangeOutcome> Store::change_config(const std::string& app_id, const Account& user,
                                                 const ConfigChanges& changes,
                                                 std::size_t max_bytes,
                                                 const std::string& phase_output_secret) {
  return guarded<ConfigChangeOutcome>([&](Database& db) -> Result<ConfigChangeOutcome> {
    Transaction tx(db);
    ConfigVars config = select_config(db, app_id);
    std::vector<std::string> set;
    std::vector<std::string> removed;
    for (const auto& [key, value] : changes) {
      if (value) {
        config[key] = *value;
        set.push_back(key);
      } else {
        config.erase(key);
        removed.push_back(key);
      }
    }
    if (config_bytes(config) > max_bytes) {
      return make_error(ErrorCode::kInvalidParams,
                        "Config vars are limited to " + std::to_string(max_bytes / 1024) +
                            " kB in total (keys and values); this change would make them " +
                            std::to_string(config_bytes(config)) + " bytes.");
    }
    for (const auto& [key, value] : changes) write_config_var(db, app_id, key, value);
    Release release = insert_release(app_id, user, describe(set, removed), config, std::nullopt,
                                     phase_output_secret);
    tx.commit();
    return ConfigChangeOutcome{std::move(config), std::move(release)};
  });
}

}  // namespace slipway::store

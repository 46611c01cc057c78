// The config_vars rows of one app, inside a transaction the caller holds: shared by config
// changes and by add-on attachments, which set and remove their <NAME>_URL.
#pragma once

#include <optional>
#include <string>

#include "store/models.h"
#include "store/sqlite.h"

namespace slipway::store {

ConfigVars select_config(Database& db, const std::string& app_id);
// A value sets the key; nullopt removes it.
void write_config_var(Database& db, const std::string& app_id, const std::string& key,
                      const std::optional<std::string>& value);

}  // namespace slipway::store

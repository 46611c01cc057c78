// The names and password an add-on's database gets, derived from its id: a retried provision
// (after a crash, or called twice) lands on the same role and database with the same password,
// never on a duplicate. Opaque like Heroku's (d8k2.../u3jk...), so a listing of databases tells
// nothing about whose they are.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::addons::postgres {

// Add-on ids name directories (dedicated instances): 1-64 of [A-Za-z0-9_-].
Status check_addon_id(std::string_view addon_id);

std::string database_name(std::string_view addon_id);  // "d" + 13 hex digits
std::string role_name(std::string_view addon_id);      // "u" + 13 hex digits

// Keyed by a secret kept in `key_file` (created, 0600, on first use): 64 hex digits.
Result<std::string> role_password(const std::filesystem::path& key_file, std::string_view addon_id);

}  // namespace slipway::addons::postgres

// Reading an account row inside a transaction the caller holds (Store::find_account takes the
// store's lock, so store code already inside one uses this).
#pragma once

#include <string>

#include "store/models.h"
#include "store/sqlite.h"

namespace slipway::store {

// The account, or one with only `id` set when there is none (its releases still name it).
Account select_account(Database& db, const std::string& account_id);

}  // namespace slipway::store

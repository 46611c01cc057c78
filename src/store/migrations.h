// Numbered schema migrations. Each runs once, inside its own transaction, in order.
#pragma once

#include <string_view>
#include <vector>

#include "store/sqlite.h"

namespace slipway::store {

struct Migration {
  int version;
  std::string_view sql;
};

// Every migration the store knows, oldest first. Append only: never edit a released one.
const std::vector<Migration>& all_migrations();

// Applies whichever migrations the database has not seen; returns the resulting schema version.
int migrate(Database& db);

}  // namespace slipway::store

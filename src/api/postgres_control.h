// What the data API (/client/v11, /postgres/v0) needs from the Postgres add-on, as an interface
// the daemon implements over src/addons/postgres.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

struct PostgresCredentials {
  std::string host;
  int port = 0;
  std::string database;
  std::string user;
  std::string password;
};

// Live figures and plan limits of one database, for `pg:info`.
struct PostgresInfo {
  std::string plan_human_name;  // "Essential 0"
  bool shared_tier = true;
  std::string server_version;  // "15.18"
  std::int64_t data_bytes = 0;
  std::int64_t storage_limit_bytes = 0;
  std::int64_t tables = 0;
  std::optional<std::int64_t> table_limit;  // shared plans only
  std::int64_t connections = 0;
  std::int64_t connection_limit = 0;
};

class PostgresControl {
 public:
  virtual ~PostgresControl() = default;
  // The add-on's own credentials (what its attachments export), from its provisioned record.
  virtual Result<PostgresCredentials> credentials(const store::Addon& addon) const = 0;
  // Queries the database; kInternal with a clear message when its server is unreachable.
  virtual Result<PostgresInfo> info(const store::Addon& addon) = 0;
  // Drops everything in the database (same name, role and password), then creates
  // `extensions`.
  virtual Status reset(const store::Addon& addon, const std::vector<std::string>& extensions) = 0;
};

}  // namespace slipway::api

// PGBackups transfers as the heroku CLI reads them (spec §10.3): names (b001, a001, r001,
// c001), the transfer object, URLs shown without credentials, and the request bodies of
// restores and copies.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

// "b001": the prefix follows the type pair (b backup, a scheduled backup, r restore, c copy),
// then the number padded to 3 digits.
std::string transfer_name(const store::Transfer& t);
bool is_backup(const store::Transfer& t);

// The transfer object. created_at is never null and logs is always an array. A backup's to_url
// (what `pg:backups:restore b001` sends back) is on `api_url`, the API's address now, so
// backups stay restorable by name when the platform comes back on another address.
nlohmann::json transfer_json(const store::Transfer& t, const std::string& api_url);

// A URL as clients may see it: postgres://user@host:port/db (no password); an http(s) URL
// without userinfo, query string or fragment.
std::string redact_url(std::string_view url);

// The name a database's backups are "from": its billing app's DATABASE attachment if it has
// one, else its first attachment there ("HEROKU_POSTGRESQL_GOLD"), else "DATABASE".
std::string attachment_name_for(const store::Addon& addon);

// POST /client/v11/databases/{id}/restores: {"backup_url": "https://…", "extensions": […]?}
struct RestoreBody {
  std::string backup_url;
};
Result<RestoreBody> parse_restore_body(std::string_view body);

// POST /client/v11/databases/{id}/transfers (pg:copy).
struct CopyBody {
  std::string from_name;
  std::string from_url;  // postgres://
  std::string to_name;
  std::string to_url;  // postgres://
};
Result<CopyBody> parse_copy_body(std::string_view body);

}  // namespace slipway::api

// What the TransferService's steps share (transfer_service.cpp: the queue, backups;
// transfer_restores.cpp: restores and copies): the running job and small helpers.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "addons/postgres/engine.h"
#include "addons/postgres/pq.h"
#include "daemon/transfer_service.h"

namespace slipway::daemon {

// The work databases' key of a transfer: its id without its dashes.
inline std::string work_key(std::string transfer_id) {
  std::erase(transfer_id, '-');
  return transfer_id;
}

// One running transfer: its record and what its steps share.
struct TransferService::Job {
  store::Transfer transfer;
  nlohmann::json spec;
  const std::atomic<bool>& cancel;
  std::int64_t source_bytes = 0;
  // The server holding this transfer's work databases (staged, retired, scratch; see
  // addons/postgres/staging.h), all dropped once the transfer is finished, off its clock.
  std::optional<addons::postgres::DatabaseLocation> work_server;

  std::string key() const { return work_key(transfer.id); }
};

namespace transfer {

inline std::string with_dbname(const std::string& url, const std::string& dbname) {
  auto params = addons::postgres::ConnectParams::parse(url);
  if (!params) return url;
  params->set("dbname", dbname);
  return params->url();
}

inline Result<addons::postgres::Connection> connect(const std::string& url) {
  auto params = addons::postgres::ConnectParams::parse(url);
  if (!params) return make_error(ErrorCode::kInvalidParams, "the database URL does not parse");
  params->set("connect_timeout", "10");
  return addons::postgres::Connection::open(*params);
}

inline std::int64_t file_size_or_zero(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

}  // namespace transfer
}  // namespace slipway::daemon

// What the data API's PGBackups endpoints need from the transfer worker, as an interface the
// daemon implements (src/daemon/transfer_service). Every call records the transfer and returns
// at once; the worker runs it and the client polls the transfer.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

// Where a restore's archive comes from: one of this server's backups, or a URL to download.
struct RestoreSource {
  std::optional<store::Transfer> backup;  // set: this backup's blob
  std::string url;                        // otherwise: http(s) URL (may carry a secret)
};

// One side of a pg:copy: an add-on of this server, or an external postgres:// URL.
struct CopyEndpoint {
  std::string name;                   // "DATABASE", "HEROKU_POSTGRESQL_GOLD", or the URL's host
  std::optional<store::Addon> addon;  // set for a database of this server
  std::string url;                    // the postgres:// URL (credentials included) otherwise
};

class TransferControl {
 public:
  virtual ~TransferControl() = default;
  // `pg:backups:capture`: a backup of `addon`, named after its attachment to its billing app;
  // `schedule_name` ("DATABASE_URL") marks a scheduled backup.
  virtual Result<store::Transfer> capture(const store::Addon& addon,
                                          std::optional<std::string> schedule_name) = 0;
  // `pg:backups:restore`: `source` into `target` (attached to its app as `target_name`).
  virtual Result<store::Transfer> restore(const store::Addon& target,
                                          const std::string& target_name,
                                          const RestoreSource& source) = 0;
  // `pg:copy`: recorded on `owner`'s app (the target's, or the source's when the target is
  // external).
  virtual Result<store::Transfer> copy(const store::Addon& owner, const CopyEndpoint& from,
                                       const CopyEndpoint& to) = 0;
  // Stops it if it runs; a transfer that has finished is returned unchanged.
  virtual Result<store::Transfer> cancel(const store::Transfer& transfer) = 0;
  // `pg:backups:delete`: a running transfer is canceled first; its archive goes.
  virtual Status remove(const store::Transfer& transfer) = 0;
};

}  // namespace slipway::api

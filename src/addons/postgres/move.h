// Moving an add-on's database to another location (a plan change): stop the source taking
// writes, copy it with pg_dump (to a file) and pg_restore, and check the copy is complete before
// anything is switched over. Each step is safe to repeat. stream.h copies while the source
// still takes writes; these are its building blocks and its fallback.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "addons/postgres/pq.h"
#include "common/result.h"

namespace slipway::addons::postgres {

// `admin`: superuser parameters whose dbname is the server's maintenance database. With
// `allowed` false the role can no longer log in and its open sessions are ended; it returns
// once none is left, so no write of it lands afterwards. With true, logins work again.
Status set_logins(const ConnectParams& admin, const std::string& user, bool allowed);

// Runs `end_sql` (which ends sessions) until `left_sql` counts none, for up to ten seconds (an
// ended session takes a moment to go); then kInternal with `failure`.
Status end_sessions(Connection& conn, const std::string& end_sql, const std::string& left_sql,
                    const std::vector<std::optional<std::string>>& params,
                    const std::string& failure);

enum class CopyWhat {
  kEverything,
  kSchema,
  kTableData,  // only the rows of `tables` (pg_dump --table patterns), into existing tables
};

// Dumps the database `source` names into the one `target` names (both superuser parameters),
// every object restored as owned by `target_role`, in one transaction (a failed restore leaves
// the target as it was). The dump file lives in `work_dir` and is removed afterwards.
Status copy_database(const std::filesystem::path& bin_dir, const std::filesystem::path& work_dir,
                     const ConnectParams& source, const ConnectParams& target,
                     const std::string& target_role, CopyWhat what = CopyWhat::kEverything,
                     const std::vector<std::string>& tables = {});

// Every user table's row count and every sequence's position are equal on both sides;
// otherwise kInternal naming the first difference.
Status verify_copy(const ConnectParams& source, const ConnectParams& target);

}  // namespace slipway::addons::postgres

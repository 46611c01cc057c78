// Work databases of the platform's restores, copies and backup verifications, named by a key
// (a transfer's id without its dashes). A restore or copy into an add-on fills a *staged*
// database beside the live one and then puts it in the live one's place in one transaction:
// pg_restore -j is not one transaction, so restoring in place could leave a database half
// restored; this way a failure, a cancel or a crash at any point leaves either the old database
// or the new one, whole. The database replaced is renamed *retired* and dropped afterwards.
//
// `admin`: superuser parameters whose dbname is the server's maintenance database (postgres).
#pragma once

#include <string>
#include <vector>

#include "addons/postgres/pq.h"
#include "common/result.h"

namespace slipway::addons::postgres {

// The names, all under PostgreSQL's 63 bytes for keys of up to 40 characters [a-z0-9].
std::string staged_name(const std::string& key);
std::string retired_name(const std::string& key);
std::string scratch_name(const std::string& key);  // a backup verification's restore
bool valid_work_key(const std::string& key);

// A new empty staged database owned by `user`, shut to everyone else, as the add-on's own
// database is (a leftover of the same key is dropped first).
Status create_staged(const ConnectParams& admin, const std::string& key, const std::string& user);

// Ends the sessions of `database`, then renames it retired and the staged database `database`,
// in one transaction; sessions that connect again meanwhile are ended again (a few attempts).
// Returns how many sessions were ended. kNotFound if nothing is staged under `key`. The
// retired database is left for drop_work_databases.
Result<int> swap_in_staged(const ConnectParams& admin, const std::string& database,
                           const std::string& key);

// Whether swap_in_staged() committed for `key`, from the databases it leaves: the staged one
// (not swapped) or the retired one (swapped). For a restore a crash cut short between the swap
// and its record; kUnknown when neither is there.
enum class SwapState { kNotSwapped, kSwapped, kUnknown };
Result<SwapState> swap_state(const ConnectParams& admin, const std::string& key);

// Drops the staged, retired and scratch databases of `key`; absent ones are fine.
Status drop_work_databases(const ConnectParams& admin, const std::string& key);

// The keys of every work database on the server (for dropping what a crash left).
Result<std::vector<std::string>> work_database_keys(const ConnectParams& admin);

}  // namespace slipway::addons::postgres

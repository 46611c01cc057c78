// Streaming a database to its new location during a plan change, with PostgreSQL's logical
// replication, so the app stays up while the data is copied and the maintenance window only
// covers catching up the last transactions:
//   start_stream   schema copied; a publication of every table and a slot on the source; a
//                  subscription on the target that copies the rows and then follows new writes
//   stream_ready   whether every table's initial copy is done (the stream then follows writes)
//   finish_stream  (the source fenced) waits until the subscription has applied everything,
//                  drops the stream, copies the tables it did not carry and the sequences
//                  (logical replication does not)
//   drop_stream    removes whatever part of the stream exists (on failure); idempotent
// The slot is made by hand, not by CREATE SUBSCRIPTION, because source and target may be the
// same cluster (a shared-tier plan change), where CREATE SUBSCRIPTION cannot make it.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "addons/postgres/pq.h"
#include "common/result.h"

namespace slipway::addons::postgres {

// What the stream is named after (publication, slot, subscription): letters, digits and '_'.
std::string stream_name(std::string_view key);

// Why the source cannot be streamed (then the copy happens inside the maintenance window), or
// nullopt when it can: the server's wal_level is not 'logical' (a server started before
// Slipway set it, or an external one), it holds large objects (not replicated), or none of its
// tables can be published. Only logged tables with a primary key or replica identity are (once
// published, any other table's updates and deletes would fail in the running app); the others'
// rows are copied by finish_stream, inside the window.
Result<std::optional<std::string>> why_not_streamable(const ConnectParams& source);

// `source` and `target`: superuser parameters for the two databases.
Status start_stream(const std::filesystem::path& bin_dir, const std::filesystem::path& work_dir,
                    const ConnectParams& source, const ConnectParams& target,
                    const std::string& target_role, const std::string& name);
// kInternal when the subscription reported an error (a table changed shape midway, say).
Result<bool> stream_ready(const ConnectParams& target, const std::string& name);
// Whether the target holds the named subscription (a stream was started).
Result<bool> stream_exists(const ConnectParams& target, const std::string& name);
Status finish_stream(const std::filesystem::path& bin_dir, const std::filesystem::path& work_dir,
                     const ConnectParams& source, const ConnectParams& target,
                     const std::string& name, std::chrono::steady_clock::time_point deadline);
Status drop_stream(const ConnectParams& source, const ConnectParams& target,
                   const std::string& name);
// Only the source's part (its slot and publication), when the target is gone.
Status drop_stream_source(const ConnectParams& source, const std::string& name);

}  // namespace slipway::addons::postgres

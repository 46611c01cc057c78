#include "store/store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/migrations.h"

namespace slipway::store {
namespace {

// The store holds every app's config vars: owner-only, from creation on. SQLite creates the
// WAL and shared-memory files with the database file's mode; older data dirs are fixed here.
void make_private(const std::filesystem::path& file) {
  if (const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
    ::close(fd);  // an empty file is an empty database
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::chmod((file.string() + suffix).c_str(), 0600);
  }
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& file) {
  make_private(file);
  try {
    auto db = std::make_unique<Database>(file);
    // WAL for concurrent readers; FULL so an acknowledged write survives a crash or power loss.
    db->exec("PRAGMA journal_mode=WAL");
    make_private(file);
    db->exec("PRAGMA synchronous=FULL");
    db->exec("PRAGMA foreign_keys=ON");
    const int version = migrate(*db);
    spdlog::info("store {} at schema version {}", file.string(), version);
    return std::unique_ptr<Store>(new Store(std::move(db)));
  } catch (const SqlError& e) {
    return make_error(ErrorCode::kInternal, std::string("cannot open store: ") + e.what());
  }
}

void Store::log_store_failure(const SqlError& e) { spdlog::error("store: {}", e.what()); }

Result<std::string> Store::integrity_check() {
  return guarded<std::string>([](Database& db) -> Result<std::string> {
    auto q = db.prepare("PRAGMA integrity_check");
    std::string report;
    while (q.step()) report += q.text(0);
    return report;
  });
}

}  // namespace slipway::store

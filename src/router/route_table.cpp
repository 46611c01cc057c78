#include "router/route_table.h"

#include <sys/stat.h>

namespace slipway::router {

RouteTable::RouteTable(std::filesystem::path file)
    : file_(std::move(file)), table_(std::make_shared<const Table>()) {
  reload();
  watcher_ = std::thread([this] { watch(); });
}

RouteTable::~RouteTable() {
  stop_.store(true);
  watcher_.join();
}

std::shared_ptr<const Table> RouteTable::current() const {
  std::lock_guard lock(mutex_);
  return table_;
}

void RouteTable::watch() {
  while (!stop_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    reload();
  }
}

void RouteTable::reload() {
  // Every version of the file is a new inode (it is replaced by rename), so the inode tells
  // versions apart even when two land within one tick of the filesystem's coarse mtime clock.
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return;
  const Version version{st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size};
  if (version == seen_) return;
  auto table = std::make_shared<const Table>(runtime::read_routes(file_));
  std::lock_guard lock(mutex_);
  table_ = std::move(table);
  seen_ = version;
}

}  // namespace slipway::router

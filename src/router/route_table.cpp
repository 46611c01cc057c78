#include "router/route_table.h"

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
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(file_, ec);
  if (ec || mtime == seen_) return;
  auto table = std::make_shared<const Table>(runtime::read_routes(file_));
  std::lock_guard lock(mutex_);
  table_ = std::move(table);
  seen_ = mtime;
}

}  // namespace slipway::router

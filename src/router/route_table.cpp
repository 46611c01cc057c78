#include "router/route_table.h"

#include "common/fs.h"

namespace slipway::router {

namespace {
std::atomic<std::uint64_t> g_next_table_id{1};
}  // namespace

RouteTable::RouteTable(std::filesystem::path file)
    : file_(std::move(file)),
      id_(g_next_table_id.fetch_add(1)),
      table_(std::make_shared<const Table>()) {
  reload();
  watcher_ = std::thread([this] { watch(); });
}

RouteTable::~RouteTable() {
  stop_.store(true);
  watcher_.join();
}

std::shared_ptr<const Table> RouteTable::current() const {
  // Every request asks; the table changes a few times a minute. Each thread keeps the last
  // table it saw and takes the lock only when the version has moved on.
  struct Cached {
    std::uint64_t owner = 0;  // which RouteTable (ids are never reused, addresses can be)
    std::uint64_t version = 0;
    std::shared_ptr<const Table> table;
  };
  thread_local Cached cached;
  const std::uint64_t version = version_.load(std::memory_order_acquire);
  if (cached.owner != id_ || cached.version != version) {
    std::lock_guard lock(mutex_);
    cached = Cached{id_, version_.load(std::memory_order_relaxed), table_};
  }
  return cached.table;
}

std::shared_ptr<const Table> RouteTable::refreshed() {
  reload();
  return current();
}

void RouteTable::watch() {
  while (!stop_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    reload();
  }
}

void RouteTable::reload() {
  // Compared by content: the file is replaced by rename, but a freed inode can come back with
  // the same size within one tick of the filesystem's coarse clock, so stat cannot tell.
  std::lock_guard reloading(reload_mutex_);
  auto text = read_file(file_);
  if (!text || *text == seen_text_) return;
  auto routes = runtime::parse_routes(*text);
  seen_text_ = std::move(*text);
  if (!routes) return;  // not a routes file: the last good table stays
  auto table = std::make_shared<const Table>(std::move(*routes));
  std::lock_guard lock(mutex_);
  table_ = std::move(table);
  version_.fetch_add(1, std::memory_order_release);
}

}  // namespace slipway::router

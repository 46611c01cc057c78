#include "addons/postgres/dump_follower.h"

#include <fcntl.h>
#include <unistd.h>

#include <limits>

namespace slipway::addons::postgres {

namespace {

constexpr std::size_t kReadSize = std::size_t{1} << 20;
constexpr std::size_t kPerFilePerPass = std::size_t{4} << 20;  // then the next file's turn
constexpr auto kScanEvery = std::chrono::milliseconds(100);    // a dump can have many files
constexpr auto kIdleWait = std::chrono::milliseconds(20);

}  // namespace

struct DumpFollower::Followed {
  explicit Followed(int descriptor) : fd(descriptor) {}
  ~Followed() { ::close(fd); }
  Followed(const Followed&) = delete;
  Followed& operator=(const Followed&) = delete;
  int fd;
  GzipMemberCheck check;
};

DumpFollower::DumpFollower(std::filesystem::path dir, const std::atomic<bool>* cancel)
    : dir_(std::move(dir)), cancel_(cancel), buffer_(kReadSize, '\0'), thread_([this] { run(); }) {}

DumpFollower::~DumpFollower() { stop_thread(); }

void DumpFollower::stop_thread() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CheckedFiles DumpFollower::finish() {
  stop_thread();
  for (auto& [name, file] : following_) {
    if (cancel_ && cancel_->load()) break;
    (void)read_more(*file, std::numeric_limits<std::size_t>::max());
    if (file->check.member()) checked_.emplace(name, *file->check.member());
  }
  following_.clear();
  return std::move(checked_);
}

void DumpFollower::run() {
  for (;;) {
    if (cancel_ && cancel_->load()) return;
    if (std::chrono::steady_clock::now() - last_scan_ >= kScanEvery) scan();
    bool progressed = false;
    for (auto it = following_.begin(); it != following_.end();) {
      Followed& file = *it->second;
      progressed = read_more(file, kPerFilePerPass) || progressed;
      if (file.check.member()) checked_.emplace(it->first, *file.check.member());
      if (file.check.member() || file.check.failed()) {
        it = following_.erase(it);  // a failed file is left to the conversion to report
      } else {
        ++it;
      }
    }
    std::unique_lock lock(mutex_);
    if (stop_) return;
    if (!progressed) wake_.wait_for(lock, kIdleWait, [this] { return stop_; });
  }
}

void DumpFollower::scan() {
  last_scan_ = std::chrono::steady_clock::now();
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir_, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.ends_with(".gz") || seen_.count(name) != 0) continue;
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    seen_.insert(name);
    following_.emplace(name, std::make_unique<Followed>(fd));
  }
}

bool DumpFollower::read_more(Followed& file, std::size_t limit) {
  std::size_t total = 0;
  while (total < limit && !file.check.member() && !file.check.failed()) {
    const ssize_t n = ::read(file.fd, buffer_.data(), std::min(buffer_.size(), limit - total));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // for now: pg_dump may write more
    (void)file.check.feed({buffer_.data(), static_cast<std::size_t>(n)});
    total += static_cast<std::size_t>(n);
  }
  return total > 0;
}

}  // namespace slipway::addons::postgres

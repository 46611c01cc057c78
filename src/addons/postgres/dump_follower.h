// Checks a directory-format dump's gzip files while pg_dump is still writing them, so that
// turning the dump into one custom-format archive afterwards (archive_convert.h) copies bytes
// instead of inflating them all again for their Adler-32. pg_dump -Fd -j N leaves cores idle
// once fewer tables than workers are left, and inflating is several times faster than the
// deflating pg_dump does, so a follower keeps up. bench/README.md has the figures.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "addons/postgres/gzip_member.h"

namespace slipway::addons::postgres {

class DumpFollower {
 public:
  // Follows `dir` (which pg_dump may not have created yet) in a thread of its own.
  DumpFollower(std::filesystem::path dir, const std::atomic<bool>* cancel);
  ~DumpFollower();
  DumpFollower(const DumpFollower&) = delete;
  DumpFollower& operator=(const DumpFollower&) = delete;

  // Once pg_dump has exited: reads the rest of the files it was following, stops, and returns
  // each one that is a whole gzip member with a matching CRC and length. Files it never opened
  // are not in it.
  CheckedFiles finish();

 private:
  struct Followed;
  void stop_thread();  // once stopped, the rest runs on the caller's thread
  void run();
  void scan();
  bool read_more(Followed& file, std::size_t limit);  // true if it read anything

  std::filesystem::path dir_;
  const std::atomic<bool>* cancel_;
  std::map<std::string, std::unique_ptr<Followed>> following_;  // only the thread touches it
  std::set<std::string> seen_;
  std::string buffer_;
  CheckedFiles checked_;
  std::chrono::steady_clock::time_point last_scan_{};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace slipway::addons::postgres

#include "addons/postgres/split_load.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "addons/postgres/table_data.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;

constexpr auto kStopPoll = std::chrono::milliseconds(100);

Error canceled() { return make_error(ErrorCode::kConflict, "canceled"); }

// A TOC's copy statement is SQL from the archive: only what pg_dump writes is run.
bool looks_like_copy_from_stdin(std::string_view sql) {
  while (!sql.empty() && (sql.back() == '\n' || sql.back() == ' ')) sql.remove_suffix(1);
  return sql.starts_with("COPY ") && sql.ends_with(" FROM stdin;");
}

// The pieces between the archive's reader and the sessions, a few at a time.
class PieceQueue {
 public:
  PieceQueue(std::size_t capacity, const std::atomic<bool>* stop)
      : capacity_(capacity), stop_(stop) {}

  Status push(std::string&& piece) {
    std::unique_lock lock(mutex_);
    while (pieces_.size() >= capacity_ && !failed_) {
      if (stopped()) return canceled();
      changed_.wait_for(lock, kStopPoll);
    }
    if (failed_) return make_error(ErrorCode::kInternal, "a session failed");
    if (stopped()) return canceled();
    pieces_.push_back(std::move(piece));
    changed_.notify_all();
    return {};
  }

  // The next piece; nullopt once the reader is done and nothing is left, or the load is over.
  std::optional<std::string> pop() {
    std::unique_lock lock(mutex_);
    while (pieces_.empty() && !done_ && !failed_ && !stopped()) changed_.wait_for(lock, kStopPoll);
    if (failed_ || stopped() || pieces_.empty()) return std::nullopt;
    std::string piece = std::move(pieces_.front());
    pieces_.pop_front();
    changed_.notify_all();
    return piece;
  }

  void finish_reading() {
    const std::lock_guard lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }
  // The first failure wins; every session and the reader stop.
  void fail(Error error) {
    const std::lock_guard lock(mutex_);
    if (!failed_) error_ = std::move(error);
    failed_ = true;
    changed_.notify_all();
  }
  std::optional<Error> failure() {
    const std::lock_guard lock(mutex_);
    return failed_ ? std::optional<Error>(error_) : std::nullopt;
  }
  bool stopped() const { return stop_ != nullptr && stop_->load(); }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> pieces_;
  std::size_t capacity_;
  const std::atomic<bool>* stop_;
  bool done_ = false;
  bool failed_ = false;
  Error error_{ErrorCode::kInternal, ""};
};

Status prepare_session(Connection& c, const ArchiveToc& toc,
                       const std::optional<std::string>& role) {
  // What pg_restore sets on its own sessions, so the rows are read as it would read them.
  if (auto s = c.query(
          "SELECT set_config('statement_timeout', '0', false),"
          " set_config('lock_timeout', '0', false),"
          " set_config('idle_in_transaction_session_timeout', '0', false),"
          " set_config('search_path', '', false), set_config('row_security', 'off', false)");
      !s) {
    return s.error();
  }
  if (auto encoding = archive_client_encoding(toc)) {
    if (auto s = c.query("SELECT set_config('client_encoding', $1, false)", {*encoding}); !s) {
      return s.error();
    }
  }
  if (role) {
    auto name = c.identifier(*role);
    if (!name) return name.error();
    if (auto s = c.query("SET ROLE " + *name); !s) return s.error();
  }
  return {};
}

void run_session(const SplitLoad& load, const ArchiveToc& toc, const ArchiveTocEntry& entry,
                 PieceQueue& queue) {
  auto conn = Connection::open(load.target);
  if (!conn) return queue.fail(conn.error());
  if (auto s = prepare_session(*conn, toc, load.role); !s) return queue.fail(s.error());
  if (auto s = conn->copy_begin(entry.copy_stmt); !s) return queue.fail(s.error());
  while (auto piece = queue.pop()) {
    if (auto s = conn->copy_send(*piece); !s) {
      (void)conn->copy_end("aborted");
      return queue.fail(s.error());
    }
  }
  if (queue.failure() || queue.stopped()) {
    (void)conn->copy_end("aborted: another session failed or the load was canceled");
    return;
  }
  if (auto s = conn->copy_end(); !s) queue.fail(s.error());
}

}  // namespace

std::optional<std::string> archive_client_encoding(const ArchiveToc& toc) {
  constexpr std::string_view kPrefix = "SET client_encoding = '";
  for (const auto& entry : toc.entries) {
    if (entry.desc != "ENCODING") continue;
    std::string_view defn = entry.defn;
    if (!defn.starts_with(kPrefix)) return std::nullopt;
    defn.remove_prefix(kPrefix.size());
    const std::size_t end = defn.find('\'');
    if (end == 0 || end == std::string_view::npos || !defn.substr(end).starts_with("';")) {
      return std::nullopt;
    }
    const std::string_view name = defn.substr(0, end);
    const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    });
    return plain ? std::optional<std::string>(name) : std::nullopt;
  }
  return std::nullopt;
}

Status load_table_split(const fs::path& archive, const ArchiveToc& toc,
                        const ArchiveTocEntry& entry, const SplitLoad& load) {
  const std::string table = entry.schema + "." + entry.tag;
  if (entry.desc != "TABLE DATA" || !looks_like_copy_from_stdin(entry.copy_stmt)) {
    return make_error(ErrorCode::kInvalidParams, table + " has no COPY statement pg_dump writes");
  }
  std::ifstream in(archive, std::ios::binary);
  if (!in) return make_error(ErrorCode::kInternal, "cannot read the archive");
  const int sessions = std::max(1, load.connections);
  PieceQueue queue(static_cast<std::size_t>(sessions) * 2, load.stop);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(sessions));
  for (int i = 0; i < sessions; ++i) {
    threads.emplace_back([&] { run_session(load, toc, entry, queue); });
  }
  const Status read = read_table_rows(in, toc, entry, load.piece_bytes, [&](std::string&& piece) {
    return queue.push(std::move(piece));
  });
  if (!read && !queue.failure() && !queue.stopped()) queue.fail(read.error());
  queue.finish_reading();
  for (auto& thread : threads) thread.join();
  if (auto failure = queue.failure()) {
    return make_error(failure->code, "loading " + table + ": " + failure->message);
  }
  if (queue.stopped()) return canceled();
  return {};
}

}  // namespace slipway::addons::postgres

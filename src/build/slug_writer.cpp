#include "build/slug_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "build/archive_safety.h"
#include "build/tree_walk.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

struct WriterFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using Writer = std::unique_ptr<archive, WriterFree>;

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;

constexpr std::size_t kCopyBlock = std::size_t{64} * 1024;

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

std::string slug_path(const std::vector<std::string>& parts) {
  std::string p = "./app";
  for (const auto& part : parts) p += "/" + part;
  return p;
}

Error archive_failure(archive* a) {
  const char* text = archive_error_string(a);
  return make_error(ErrorCode::kInternal,
                    std::string("cannot write the slug: ") + (text ? text : "unknown error"));
}

Entry header_for(const std::string& path, const struct stat& st) {
  Entry e(archive_entry_new());
  archive_entry_set_pathname(e.get(), path.c_str());
  archive_entry_set_mode(e.get(), (st.st_mode & S_IFMT) | (st.st_mode & 0777));
  archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  return e;
}

class SlugWriter {
 public:
  SlugWriter(archive* a, const SlugWriteLimits& limits) : a_(a), limits_(limits) {}

  Status directory(const std::string& path, const struct stat& st) {
    Entry e = header_for(path, st);
    return header(e.get());
  }

  Status symlink(int dir_fd, const std::string& name, const std::vector<std::string>& parts,
                 const struct stat& st) {
    std::vector<char> target(static_cast<std::size_t>(st.st_size) + 2);
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size() - 1);
    if (n < 0) {
      return make_error(ErrorCode::kInternal,
                        "cannot read the link " + slug_path(parts) + ": " + errno_text(errno));
    }
    const std::string to(target.data(), static_cast<std::size_t>(n));
    std::vector<std::string> in_slug{"app"};
    in_slug.insert(in_slug.end(), parts.begin(), parts.end());
    if (!link_stays_inside(in_slug, to, "app")) {
      return make_error(ErrorCode::kInvalidParams,
                        "The symlink " + slug_path(parts).substr(2) + " -> " + to +
                            " points outside the app: a slug keeps only relative links that "
                            "stay inside it.");
    }
    Entry e = header_for(slug_path(parts), st);
    archive_entry_set_symlink(e.get(), to.c_str());
    return header(e.get());
  }

  Status file(int dir_fd, const std::string& name, const std::vector<std::string>& parts) {
    const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      return make_error(ErrorCode::kInternal,
                        "cannot read " + slug_path(parts) + ": " + errno_text(errno));
    }
    struct stat st {};
    Status result;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      result = make_error(ErrorCode::kInternal,
                          slug_path(parts) + " changed while the slug was written");
    } else {
      result = contents(fd, slug_path(parts), st);
    }
    ::close(fd);
    return result;
  }

  std::uint64_t entries() const { return entries_; }

 private:
  Status header(archive_entry* e) {
    if (archive_write_header(a_, e) != ARCHIVE_OK) return archive_failure(a_);
    ++entries_;
    return check_size();
  }

  // Writes exactly st_size bytes: a file that shrank meanwhile is padded, one that grew is cut.
  Status contents(int fd, const std::string& path, const struct stat& st) {
    Entry e = header_for(path, st);
    archive_entry_set_size(e.get(), st.st_size);
    if (auto s = header(e.get()); !s) return s;
    std::array<char, kCopyBlock> buffer{};
    auto left = static_cast<std::uint64_t>(st.st_size);
    while (left > 0) {
      const std::size_t want =
          left < buffer.size() ? static_cast<std::size_t>(left) : buffer.size();
      ssize_t n = ::read(fd, buffer.data(), want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return make_error(ErrorCode::kInternal, "cannot read " + path + ": " + errno_text(errno));
      }
      if (n == 0) {  // shrank: pad with zeros
        buffer.fill(0);
        n = static_cast<ssize_t>(want);
      }
      if (archive_write_data(a_, buffer.data(), static_cast<std::size_t>(n)) < 0) {
        return archive_failure(a_);
      }
      left -= static_cast<std::uint64_t>(n);
      if (auto s = check_size(); !s) return s;
    }
    return {};
  }

  Status check_size() const {
    if (static_cast<std::uint64_t>(archive_filter_bytes(a_, -1)) > limits_.max_compressed_bytes) {
      return make_error(ErrorCode::kPayloadTooLarge, "the compressed slug is over the limit");
    }
    return {};
  }

  archive* a_;
  const SlugWriteLimits& limits_;
  std::uint64_t entries_ = 0;
};

}  // namespace

Result<SlugWritten> write_slug_archive(const fs::path& build_dir, const fs::path& archive_path,
                                       const SlugWriteLimits& limits,
                                       const std::function<void(std::string_view)>& skipped) {
  // A new file, never through a link: the directory may be one a build could write to.
  const int fd =
      ::open(archive_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ErrorCode::kInternal,
                      "cannot create " + archive_path.string() + ": " + errno_text(errno));
  }
  Writer a(archive_write_new());
  archive_write_add_filter_gzip(a.get());
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    ::close(fd);
    std::error_code ec;
    fs::remove(archive_path, ec);
    return archive_failure(a.get());
  }
  SlugWriter writer(a.get(), limits);
  struct stat root {};
  Status result;
  if (::stat(build_dir.c_str(), &root) != 0 || !S_ISDIR(root.st_mode)) {
    result = make_error(ErrorCode::kInternal, "cannot read " + build_dir.string());
  } else {
    result = writer.directory("./app/", root);
  }
  if (result) {
    result = walk_tree(build_dir, [&](const TreeEntry& e) -> Result<WalkAction> {
      if (e.path.size() == 1 && e.name == ".git") return WalkAction::kSkip;
      Status s;
      if (S_ISDIR(e.st.st_mode)) {
        s = writer.directory(slug_path(e.path) + "/", e.st);
      } else if (S_ISREG(e.st.st_mode)) {
        s = writer.file(e.dir_fd, e.name, e.path);
      } else if (S_ISLNK(e.st.st_mode)) {
        s = writer.symlink(e.dir_fd, e.name, e.path, e.st);
      } else if (skipped) {
        skipped(slug_path(e.path).substr(2));
      }
      if (!s) return s.error();
      return WalkAction::kContinue;
    });
  }
  if (result && archive_write_close(a.get()) != ARCHIVE_OK) result = archive_failure(a.get());
  if (result &&
      static_cast<std::uint64_t>(archive_filter_bytes(a.get(), -1)) > limits.max_compressed_bytes) {
    result = make_error(ErrorCode::kPayloadTooLarge, "the compressed slug is over the limit");
  }
  const auto compressed = static_cast<std::uint64_t>(archive_filter_bytes(a.get(), -1));
  a.reset();
  if (result && ::fsync(fd) != 0) {
    result = make_error(ErrorCode::kInternal, "cannot write the slug: " + errno_text(errno));
  }
  ::close(fd);
  if (!result) {
    std::error_code ec;
    fs::remove(archive_path, ec);
    return result.error();
  }
  return SlugWritten{compressed, writer.entries()};
}

}  // namespace slipway::build

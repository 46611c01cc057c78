#include "build/slug_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

struct ReaderFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Reader = std::unique_ptr<archive, ReaderFree>;

constexpr std::size_t kReadBlockBytes = std::size_t{64} * 1024;

Error refuse(const std::string& why) {
  return make_error(ErrorCode::kInvalidParams, "Invalid slug archive: " + why);
}

Reader new_reader() {
  Reader r(archive_read_new());
  archive_read_support_filter_gzip(r.get());
  archive_read_support_format_tar(r.get());
  return r;
}

// Splits a relative path into its components, dropping "." and empty ones. nullopt when a
// component is "..", or the path is absolute.
std::optional<std::vector<std::string>> components(std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::nullopt;
  std::vector<std::string> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// A symlink's target, resolved against the link's directory, must stay inside the slug.
bool link_stays_inside(const std::vector<std::string>& link_parts, std::string_view target) {
  if (target.empty() || target.front() == '/') return false;
  std::vector<std::string> resolved(link_parts.begin(), link_parts.end() - 1);
  while (!target.empty()) {
    const auto slash = target.find('/');
    const auto part = target.substr(0, slash);
    if (part == "..") {
      if (resolved.empty()) return false;
      resolved.pop_back();
    } else if (!part.empty() && part != ".") {
      resolved.emplace_back(part);
    }
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
  }
  return true;
}

Status check_entry(archive_entry* entry) {
  const char* raw = archive_entry_pathname(entry);
  const std::string path = raw ? raw : "";
  const auto parts = components(path);
  if (!parts) return refuse("`" + path + "` is absolute or contains `..`");
  if (parts->empty() || (*parts)[0] != "app") {
    return refuse("`" + path + "` is outside ./app (a slug's files live under ./app)");
  }
  if (const char* hardlink = archive_entry_hardlink(entry)) {
    const auto target = components(hardlink);
    if (!target || target->empty() || (*target)[0] != "app") {
      return refuse("hard link `" + path + "` points outside the slug");
    }
    return {};
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
    case AE_IFDIR:
      return {};
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (!target || !link_stays_inside(*parts, target)) {
        return refuse("symlink `" + path + "` -> `" + (target ? target : "") +
                      "` points outside the slug (targets must be relative and stay inside)");
      }
      return {};
    }
    default:
      return refuse("`" + path + "` is a device, FIFO or socket");
  }
}

Result<SlugSummary> check_open_archive(archive* a, const SlugLimits& limits) {
  SlugSummary summary;
  archive_entry* entry = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return refuse(std::string("not a readable tar.gz (") + archive_error_string(a) + ")");
    }
    if (auto s = check_entry(entry); !s) return s.error();
    if (++summary.entries > limits.max_entries) return refuse("too many entries");
    summary.unpacked_bytes +=
        static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(entry)));
    if (summary.unpacked_bytes > limits.max_unpacked_bytes) {
      return refuse("larger than " + std::to_string(limits.max_unpacked_bytes) + " bytes unpacked");
    }
    // Reading the data verifies the compressed stream, not just the headers.
    if (archive_read_data_skip(a) != ARCHIVE_OK) {
      return refuse(std::string("corrupt data (") + archive_error_string(a) + ")");
    }
  }
  if (summary.entries == 0) return refuse("it is empty");
  return summary;
}

}  // namespace

Result<SlugSummary> check_slug_archive(const fs::path& archive_path, const SlugLimits& limits) {
  Reader a = new_reader();
  if (archive_read_open_filename(a.get(), archive_path.c_str(), kReadBlockBytes) != ARCHIVE_OK) {
    return refuse(std::string("not a readable tar.gz (") + archive_error_string(a.get()) + ")");
  }
  return check_open_archive(a.get(), limits);
}

Result<SlugSummary> check_slug_archive_bytes(const void* data, std::size_t size,
                                             const SlugLimits& limits) {
  Reader a = new_reader();
  if (archive_read_open_memory(a.get(), data, size) != ARCHIVE_OK) {
    return refuse(std::string("not a readable tar.gz (") + archive_error_string(a.get()) + ")");
  }
  return check_open_archive(a.get(), limits);
}

Status unpack_slug_archive(const fs::path& archive_path, const fs::path& destination,
                           const SlugLimits& limits) {
  if (auto checked = check_slug_archive(archive_path, limits); !checked) return checked.error();
  std::error_code ec;
  if (fs::exists(destination, ec)) return refuse(destination.string() + " already exists");
  const fs::path partial = destination.string() + ".partial";
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot create " + partial.string());

  Reader a = new_reader();
  std::unique_ptr<archive, decltype(&archive_write_free)> disk(archive_write_disk_new(),
                                                               &archive_write_free);
  // Defence in depth: libarchive's own checks on top of check_slug_archive's. (Entry paths are
  // rewritten to absolute paths under `partial` below, so NOABSOLUTEPATHS cannot be used.)
  archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  Status result;
  if (archive_read_open_filename(a.get(), archive_path.c_str(), kReadBlockBytes) != ARCHIVE_OK) {
    result = refuse("cannot reopen the archive");
  }
  archive_entry* entry = nullptr;
  while (result && archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    const auto parts = components(archive_entry_pathname(entry));
    fs::path target = partial;
    for (const auto& p : *parts) target /= p;
    archive_entry_set_pathname(entry, target.c_str());
    if (const char* hardlink = archive_entry_hardlink(entry)) {
      fs::path link_target = partial;
      const auto link_parts = components(hardlink);  // a named local: ranges over *temp dangle
      for (const auto& p : *link_parts) link_target /= p;
      archive_entry_set_hardlink(entry, link_target.c_str());
    }
    archive_entry_set_perm(entry, archive_entry_perm(entry) & 0755);  // no setuid, no world-write
    if (archive_write_header(disk.get(), entry) != ARCHIVE_OK) {
      result = refuse(std::string("cannot unpack: ") + archive_error_string(disk.get()));
      break;
    }
    const void* buffer = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    while (archive_read_data_block(a.get(), &buffer, &size, &offset) == ARCHIVE_OK) {
      if (archive_write_data_block(disk.get(), buffer, size, offset) != ARCHIVE_OK) {
        result = refuse(std::string("cannot unpack: ") + archive_error_string(disk.get()));
        break;
      }
    }
    archive_write_finish_entry(disk.get());
  }
  if (result) {
    fs::rename(partial, destination, ec);
    if (ec) result = make_error(ErrorCode::kInternal, "cannot move the unpacked slug into place");
  }
  if (!result) fs::remove_all(partial, ec);
  return result;
}

}  // namespace slipway::build

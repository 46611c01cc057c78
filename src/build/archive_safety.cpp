#include "build/archive_safety.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

struct ReaderFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Reader = std::unique_ptr<archive, ReaderFree>;

struct WriterFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using DiskWriter = std::unique_ptr<archive, WriterFree>;

constexpr std::size_t kReadBlockBytes = std::size_t{64} * 1024;

Error refuse(const ArchiveRules& rules, const std::string& why) {
  return make_error(ErrorCode::kInvalidParams, "Invalid " + rules.what + ": " + why);
}

std::string error_text(archive* a) {
  const char* text = archive_error_string(a);
  return text ? text : "unknown error";
}

// tar, gzip-compressed or not (libarchive always reads uncompressed input too).
Reader new_reader() {
  Reader r(archive_read_new());
  archive_read_support_filter_gzip(r.get());
  archive_read_support_format_tar(r.get());
  return r;
}

// One entry, checked: where it goes (components below the destination) and, for a hard link,
// what it links to. `skip` for the archive's root or the stripped directory itself.
struct CheckedEntry {
  std::vector<std::string> raw_parts;  // before strip_prefix
  std::vector<std::string> parts;      // after it
  std::vector<std::string> hardlink;
  bool is_hardlink = false;
  bool skip = false;
};

Result<std::vector<std::string>> placed(const ArchiveRules& rules, std::vector<std::string> parts,
                                        const std::string& path) {
  if (!rules.strip_prefix.empty()) {
    if (parts.empty() || parts.front() != rules.strip_prefix) {
      return refuse(rules, "`" + path + "` is outside " + rules.strip_prefix + "/");
    }
    parts.erase(parts.begin());
  }
  return parts;
}

Result<CheckedEntry> check_entry(archive_entry* entry, const ArchiveRules& rules) {
  const char* raw = archive_entry_pathname(entry);
  const std::string path = raw ? raw : "";
  auto components = relative_components(path);
  if (!components) return refuse(rules, "`" + path + "` is absolute or contains `..`");
  CheckedEntry checked;
  checked.raw_parts = *components;
  auto parts = placed(rules, std::move(*components), path);
  if (!parts) return parts.error();
  checked.parts = std::move(*parts);
  const auto type = archive_entry_filetype(entry);
  const char* hardlink = archive_entry_hardlink(entry);
  if (checked.parts.empty()) {  // "./" or the stripped top-level directory
    if (type != AE_IFDIR || hardlink) return refuse(rules, "`" + path + "` is not a directory");
    checked.skip = true;
    return checked;
  }
  if (!rules.required_root.empty() && checked.parts.front() != rules.required_root) {
    return refuse(rules, "`" + path + "` is outside ./" + rules.required_root);
  }
  if (hardlink) {
    auto target = relative_components(hardlink);
    if (target && !rules.strip_prefix.empty()) {
      if (target->empty() || target->front() != rules.strip_prefix)
        target.reset();
      else
        target->erase(target->begin());
    }
    if (!target || target->empty() ||
        (!rules.required_root.empty() && target->front() != rules.required_root)) {
      return refuse(rules, "hard link `" + path + "` points outside the " + rules.what);
    }
    checked.hardlink = std::move(*target);
    checked.is_hardlink = true;
    return checked;
  }
  switch (type) {
    case AE_IFREG:
    case AE_IFDIR:
      return checked;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (!target || !link_stays_inside(checked.parts, target, rules.required_root)) {
        return refuse(rules, "symlink `" + path + "` -> `" + (target ? target : "") +
                                 "` points outside the " + rules.what +
                                 " (targets must be relative and stay inside)");
      }
      return checked;
    }
    default:
      return refuse(rules, "`" + path + "` is a device, FIFO or socket");
  }
}

// Tracks whether every entry sits under one top-level directory.
class TopLevel {
 public:
  void add(const std::vector<std::string>& parts, bool is_dir) {
    if (parts.empty()) return;
    if (!name_) name_ = parts.front();
    if (parts.front() != *name_ || (parts.size() == 1 && !is_dir)) single_ = false;
    if (parts.size() > 1) deeper_ = true;
  }
  std::optional<std::string> single_dir() const {
    return single_ && deeper_ ? name_ : std::nullopt;
  }

 private:
  std::optional<std::string> name_;
  bool single_ = true;
  bool deeper_ = false;
};

Result<ArchiveScan> scan_open_archive(archive* a, const ArchiveRules& rules) {
  ArchiveScan scan;
  TopLevel top;
  archive_entry* entry = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return refuse(rules, "not a readable tar.gz (" + error_text(a) + ")");
    }
    auto checked = check_entry(entry, rules);
    if (!checked) return checked.error();
    top.add(checked->raw_parts, archive_entry_filetype(entry) == AE_IFDIR && !checked->is_hardlink);
    if (++scan.entries > rules.limits.max_entries) return refuse(rules, "too many entries");
    scan.unpacked_bytes +=
        static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(entry)));
    if (scan.unpacked_bytes > rules.limits.max_unpacked_bytes) {
      return refuse(rules, "larger than " + std::to_string(rules.limits.max_unpacked_bytes) +
                               " bytes unpacked");
    }
    // Reading the data verifies the compressed stream, not just the headers.
    if (archive_read_data_skip(a) != ARCHIVE_OK) {
      return refuse(rules, "corrupt data (" + error_text(a) + ")");
    }
  }
  if (scan.entries == 0) return refuse(rules, "it is empty");
  scan.single_top_level_dir = top.single_dir();
  return scan;
}

fs::path below(const fs::path& root, const std::vector<std::string>& parts) {
  fs::path p = root;
  for (const auto& part : parts) p /= part;
  return p;
}

// Writes one entry's data; false (with `error` set) when the disk writer refuses it.
bool copy_data(archive* in, archive* out, std::uint64_t& written, const ArchiveRules& rules,
               std::string& error) {
  const void* buffer = nullptr;
  std::size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    const int rc = archive_read_data_block(in, &buffer, &size, &offset);
    if (rc == ARCHIVE_EOF) return true;
    if (rc != ARCHIVE_OK) {
      error = "corrupt data (" + error_text(in) + ")";
      return false;
    }
    written += size;
    if (written > rules.limits.max_unpacked_bytes) {
      error = "larger than " + std::to_string(rules.limits.max_unpacked_bytes) + " bytes unpacked";
      return false;
    }
    if (archive_write_data_block(out, buffer, size, offset) != ARCHIVE_OK) {
      error = "cannot unpack: " + error_text(out);
      return false;
    }
  }
}

Status extract_entries(archive* in, archive* disk, const fs::path& partial,
                       const ArchiveRules& rules) {
  std::uint64_t written = 0;
  archive_entry* entry = nullptr;
  for (;;) {
    const int rc = archive_read_next_header(in, &entry);
    if (rc == ARCHIVE_EOF) return {};
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return refuse(rules, "not a readable tar.gz (" + error_text(in) + ")");
    }
    // Checked again: the scan was of the same file, but nothing here trusts that it still is.
    auto checked = check_entry(entry, rules);
    if (!checked) return checked.error();
    if (checked->skip) continue;
    archive_entry_set_pathname(entry, below(partial, checked->parts).c_str());
    if (checked->is_hardlink) {
      archive_entry_set_hardlink(entry, below(partial, checked->hardlink).c_str());
    }
    archive_entry_set_perm(entry, archive_entry_perm(entry) & 0755);  // no setuid, no world-write
    if (archive_write_header(disk, entry) != ARCHIVE_OK) {
      return refuse(rules, "cannot unpack: " + error_text(disk));
    }
    std::string error;
    const bool copied = copy_data(in, disk, written, rules, error);
    archive_write_finish_entry(disk);
    if (!copied) return refuse(rules, error);
  }
}

}  // namespace

std::optional<std::vector<std::string>> relative_components(std::string_view path) {
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

bool link_stays_inside(const std::vector<std::string>& link, std::string_view target,
                       std::string_view root_dir) {
  if (link.empty() || target.empty() || target.front() == '/') return false;
  // The link's directory, from which its target is resolved.
  std::size_t depth = link.size() - 1;
  const std::size_t floor = root_dir.empty() ? 0 : 1;
  bool descended = false;  // once a component went down, ".." is no longer allowed
  while (!target.empty()) {
    const auto slash = target.find('/');
    const auto part = target.substr(0, slash);
    if (part == "..") {
      if (descended || depth <= floor) return false;
      --depth;
    } else if (!part.empty() && part != ".") {
      descended = true;
    }
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
  }
  // A link to the root itself ("..", from one level down) stays inside; with a root_dir, a link
  // to that directory is fine too (depth == floor).
  return true;
}

Result<ArchiveScan> scan_archive(const fs::path& archive_path, const ArchiveRules& rules) {
  Reader a = new_reader();
  if (archive_read_open_filename(a.get(), archive_path.c_str(), kReadBlockBytes) != ARCHIVE_OK) {
    return refuse(rules, "not a readable tar.gz (" + error_text(a.get()) + ")");
  }
  return scan_open_archive(a.get(), rules);
}

Result<ArchiveScan> scan_archive_bytes(const void* data, std::size_t size,
                                       const ArchiveRules& rules) {
  Reader a = new_reader();
  if (archive_read_open_memory(a.get(), data, size) != ARCHIVE_OK) {
    return refuse(rules, "not a readable tar.gz (" + error_text(a.get()) + ")");
  }
  return scan_open_archive(a.get(), rules);
}

Status extract_archive(const fs::path& archive_path, const fs::path& destination,
                       const ArchiveRules& rules) {
  if (auto scanned = scan_archive(archive_path, rules); !scanned) return scanned.error();
  std::error_code ec;
  if (fs::exists(destination, ec)) return refuse(rules, destination.string() + " already exists");
  const fs::path partial = destination.string() + ".partial";
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot create " + partial.string());

  Reader in = new_reader();
  DiskWriter disk(archive_write_disk_new());
  // Defence in depth: libarchive's own checks on top of check_entry's. (Entry paths are
  // rewritten to absolute paths under `partial`, so NOABSOLUTEPATHS cannot be used.)
  archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  Status result;
  if (archive_read_open_filename(in.get(), archive_path.c_str(), kReadBlockBytes) != ARCHIVE_OK) {
    result = refuse(rules, "cannot reopen the archive");
  } else {
    result = extract_entries(in.get(), disk.get(), partial, rules);
  }
  if (result && archive_write_close(disk.get()) != ARCHIVE_OK) {
    result = refuse(rules, "cannot unpack: " + error_text(disk.get()));
  }
  if (result) {
    fs::rename(partial, destination, ec);
    if (ec) result = make_error(ErrorCode::kInternal, "cannot move the unpacked files into place");
  }
  if (!result) fs::remove_all(partial, ec);
  return result;
}

}  // namespace slipway::build

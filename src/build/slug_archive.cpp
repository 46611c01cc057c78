#include "build/slug_archive.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

ArchiveRules slug_rules(const SlugLimits& limits) {
  ArchiveRules rules;
  rules.what = "slug archive";
  rules.limits = limits;
  rules.required_root = "app";
  return rules;
}

Result<SlugSummary> summary_of(Result<ArchiveScan> scan) {
  if (!scan) return scan.error();
  return SlugSummary{scan->entries, scan->unpacked_bytes};
}

}  // namespace

Result<SlugSummary> check_slug_archive(const fs::path& archive_path, const SlugLimits& limits) {
  return summary_of(scan_archive(archive_path, slug_rules(limits)));
}

Result<SlugSummary> check_slug_archive_bytes(const void* data, std::size_t size,
                                             const SlugLimits& limits) {
  return summary_of(scan_archive_bytes(data, size, slug_rules(limits)));
}

Status unpack_slug_archive(const fs::path& archive_path, const fs::path& destination,
                           const SlugLimits& limits) {
  return extract_archive(archive_path, destination, slug_rules(limits));
}

}  // namespace slipway::build

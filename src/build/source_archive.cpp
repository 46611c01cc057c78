#include "build/source_archive.h"

#include <functional>

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

ArchiveRules source_rules(const SourceLimits& limits, std::string_view what) {
  ArchiveRules rules;
  rules.what = what;
  rules.limits = limits;
  return rules;
}

// Scans once as is; when one top-level directory holds everything, scans again with it stripped
// (symlinks are then checked against the stripped root, which is what ends up on disk).
Result<std::pair<ArchiveRules, SourceSummary>> plan(
    const SourceLimits& limits, std::string_view what,
    const std::function<Result<ArchiveScan>(const ArchiveRules&)>& scan) {
  ArchiveRules rules = source_rules(limits, what);
  auto first = scan(rules);
  if (!first) return first.error();
  SourceSummary summary{first->entries, first->unpacked_bytes, {}};
  if (first->single_top_level_dir) {
    rules.strip_prefix = *first->single_top_level_dir;
    if (auto second = scan(rules); !second) return second.error();
    summary.stripped_dir = rules.strip_prefix;
  }
  return std::make_pair(std::move(rules), std::move(summary));
}

}  // namespace

Result<SourceSummary> extract_source_archive(const fs::path& archive, const fs::path& destination,
                                             const SourceLimits& limits, std::string_view what) {
  auto planned =
      plan(limits, what, [&](const ArchiveRules& rules) { return scan_archive(archive, rules); });
  if (!planned) return planned.error();
  if (auto s = extract_archive(archive, destination, planned->first); !s) return s.error();
  return std::move(planned->second);
}

Result<SourceSummary> check_source_archive_bytes(const void* data, std::size_t size,
                                                 const SourceLimits& limits) {
  auto planned = plan(limits, "source archive", [&](const ArchiveRules& rules) {
    return scan_archive_bytes(data, size, rules);
  });
  if (!planned) return planned.error();
  return std::move(planned->second);
}

}  // namespace slipway::build

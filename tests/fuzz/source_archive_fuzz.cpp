// Fuzzes the source archive checks (libarchive over untrusted tarballs, and the choice of a
// top-level directory to strip): never a crash, and what is accepted is within the limits.
#include <cstddef>
#include <cstdint>

#include "build/source_archive.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  slipway::build::SourceLimits limits;
  limits.max_unpacked_bytes = 1 << 20;
  limits.max_entries = 1000;
  auto summary = slipway::build::check_source_archive_bytes(data, size, limits);
  if (summary.ok()) {
    FUZZ_CHECK(summary->entries > 0 && summary->entries <= limits.max_entries);
    FUZZ_CHECK(summary->unpacked_bytes <= limits.max_unpacked_bytes);
    FUZZ_CHECK(summary->stripped_dir.find('/') == std::string::npos);
    FUZZ_CHECK(summary->stripped_dir != "." && summary->stripped_dir != "..");
  } else {
    FUZZ_CHECK(summary.error().message.rfind("Invalid source archive: ", 0) == 0);
  }
  return 0;
}

// Fuzzes the slug archive checker (libarchive over untrusted tar.gz input): it must never crash,
// and whatever it accepts is non-empty and within its limits.
#include <cstddef>
#include <cstdint>

#include "build/slug_archive.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  slipway::build::SlugLimits limits;
  limits.max_unpacked_bytes = 1 << 20;
  limits.max_entries = 1000;
  auto summary = slipway::build::check_slug_archive_bytes(data, size, limits);
  if (summary.ok()) {
    FUZZ_CHECK(summary->entries > 0 && summary->entries <= limits.max_entries);
    FUZZ_CHECK(summary->unpacked_bytes <= limits.max_unpacked_bytes);
  } else {
    FUZZ_CHECK(!summary.error().message.empty());
  }
  return 0;
}

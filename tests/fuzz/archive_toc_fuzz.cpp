// Fuzzes what the backup path reads from a directory dump before trusting it: toc.dat, the
// gzip header of each data file, blobs.toc. Any input is refused or read into something whose
// custom-format TOC has the same size whatever the data offsets are (the archive's layout
// depends on that), and no file name read can leave the dump's directory.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "addons/postgres/archive_convert.h"
#include "addons/postgres/archive_toc.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pg = slipway::addons::postgres;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  if (auto toc = pg::parse_directory_toc(bytes); toc.ok()) {
    FUZZ_CHECK(toc->compression >= -1 && toc->compression <= 9);
    std::vector<pg::DataOffset> none(toc->entries.size());
    std::vector<pg::DataOffset> far(toc->entries.size(), {true, UINT64_MAX});
    FUZZ_CHECK(pg::custom_header_and_toc(*toc, none).size() ==
               pg::custom_header_and_toc(*toc, far).size());
    for (const auto& entry : toc->entries) FUZZ_CHECK(entry.dump_id > 0);
  }

  if (auto start = pg::gzip_payload_start(bytes)) FUZZ_CHECK(*start >= 10 && *start <= size);

  if (auto blobs = pg::parse_blobs_toc(bytes); blobs.ok()) {
    for (const auto& blob : *blobs) {
      FUZZ_CHECK(blob.filename == "blob_" + std::to_string(blob.oid) + ".dat");
    }
  }
  return 0;
}

// Fuzzes what a restore reads out of an archive before handing a table's rows to the server
// over several connections (addons/postgres/table_data.h, split_load.h): the custom-format TOC,
// each TABLE DATA block found through it, the archive's client encoding. Any input is refused
// or read into pieces that are whole rows, and a block is read no further than its chunks say.
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "addons/postgres/split_load.h"
#include "addons/postgres/table_data.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pg = slipway::addons::postgres;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto toc = pg::parse_custom_toc(bytes);
  if (!toc.ok()) return 0;
  FUZZ_CHECK(toc->compression >= -1 && toc->compression <= 9);
  if (auto encoding = pg::archive_client_encoding(*toc)) {
    FUZZ_CHECK(!encoding->empty() && encoding->find('\'') == std::string::npos);
  }
  for (const auto& block : pg::table_data_blocks(*toc, size)) {
    FUZZ_CHECK(block.entry->data.offset + block.size <= size);
    std::istringstream in(bytes);
    std::size_t total = 0;
    auto read = pg::read_table_rows(in, *toc, *block.entry, 16, [&](std::string&& piece) {
      FUZZ_CHECK(!piece.empty() && piece.back() == '\n');
      total += piece.size();
      return slipway::Status{};
    });
    (void)read;
    // zlib inflates at most about 1032 to 1.
    FUZZ_CHECK(total <= size * 1100 + 64);
  }
  return 0;
}

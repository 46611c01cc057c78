// Fuzzes the COPY row counter that counts a dump's rows while its files are inflated: however
// the bytes are cut, it agrees with counting whole lines one by one (the rows are the lines
// before the first line that is exactly `\.`).
#include <cstdint>
#include <optional>
#include <string_view>

#include "addons/postgres/copy_rows.h"
#include "fuzz_check.h"

namespace {

std::optional<std::int64_t> rows_line_by_line(std::string_view data) {
  std::int64_t rows = 0;
  for (;;) {
    const std::size_t newline = data.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;
    if (data.substr(0, newline) == "\\.") return rows;
    ++rows;
    data.remove_prefix(newline + 1);
  }
}

std::optional<std::int64_t> rows_in_pieces(std::string_view data, std::size_t piece) {
  slipway::addons::postgres::CopyRowCounter counter;
  for (std::size_t at = 0; at < data.size(); at += piece) counter.feed(data.substr(at, piece));
  return counter.rows();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto expected = rows_line_by_line(bytes);
  for (const std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{7}, size + 1}) {
    FUZZ_CHECK(rows_in_pieces(bytes, piece) == expected);
  }
  return 0;
}

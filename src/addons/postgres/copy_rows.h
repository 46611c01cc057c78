// Counts the rows of COPY text-format data as it streams by: what a dump's data file holds
// (pg_dump writes each table as `COPY ... TO stdout` output). In that format a row is one
// line — a newline inside a value is written `\n` — and pg_dump ends the data with a line
// that is exactly `\.` (then empty lines). A value cannot make such a line, as its backslash
// would be written `\\`. So the rows are the lines before the first `\.` line; the data's
// row count comes for free with the inflating a backup's files get anyway (gzip_member.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace slipway::addons::postgres {

class CopyRowCounter {
 public:
  // The data's next bytes, cut anywhere.
  void feed(std::string_view bytes);
  // The rows before the `\.` line; nullopt until that line has been seen (data without it is
  // not pg_dump's COPY data, or not all of it).
  std::optional<std::int64_t> rows() const {
    return at_ == LineStart::kEnded ? std::optional(rows_) : std::nullopt;
  }

 private:
  // How much of the current line is known to start like `\.` + newline.
  enum class LineStart { kStart, kBackslash, kBackslashDot, kOther, kEnded };
  LineStart at_ = LineStart::kStart;
  std::int64_t rows_ = 0;
};

}  // namespace slipway::addons::postgres

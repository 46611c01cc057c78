// Reading untrusted text (a Procfile, bin/release output) a line at a time.
#pragma once

#include <cstddef>
#include <string_view>

namespace slipway::build {

// Splits on LF, drops a CR before it and a UTF-8 byte order mark at the start; numbers lines
// from 1. A final line without a newline counts; an empty text has no lines.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {
    constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    if (rest_.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
      rest_.remove_prefix(kByteOrderMark.size());
    }
  }

  bool next(std::string_view& line) {
    if (rest_.empty()) return false;
    const auto newline = rest_.find('\n');
    line = rest_.substr(0, newline);
    rest_.remove_prefix(newline == std::string_view::npos ? rest_.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number_;
    return true;
  }

  std::size_t number() const { return number_; }  // of the line next() returned last

 private:
  std::string_view rest_;
  std::size_t number_ = 0;
};

}  // namespace slipway::build

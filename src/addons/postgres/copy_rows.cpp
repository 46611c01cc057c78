#include "addons/postgres/copy_rows.h"

#include <cstring>

namespace slipway::addons::postgres {

void CopyRowCounter::feed(std::string_view bytes) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p < end && at_ != LineStart::kEnded) {
    if (at_ == LineStart::kOther) {  // most bytes: skip to the line's end at memchr's speed
      const void* newline = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      if (newline == nullptr) return;
      p = static_cast<const char*>(newline) + 1;
      ++rows_;
      at_ = LineStart::kStart;
      continue;
    }
    const char c = *p++;
    if (c == '\n') {
      if (at_ == LineStart::kBackslashDot) {
        at_ = LineStart::kEnded;
      } else {
        ++rows_;
        at_ = LineStart::kStart;
      }
    } else if (at_ == LineStart::kStart && c == '\\') {
      at_ = LineStart::kBackslash;
    } else if (at_ == LineStart::kBackslash && c == '.') {
      at_ = LineStart::kBackslashDot;
    } else {
      at_ = LineStart::kOther;
    }
  }
}

}  // namespace slipway::addons::postgres

// Fuzzes the gzip member check that a directory dump's data files go through, fed the way the
// dump follower feeds it: in pieces, as they are written. However the bytes are cut, the
// result is the same (the rows counted too); a whole member's deflate data and trailer fill
// the input exactly.
#include <cstdint>
#include <string_view>

#include "addons/postgres/gzip_member.h"
#include "fuzz_check.h"

namespace {

struct Outcome {
  bool failed;
  std::optional<slipway::addons::postgres::GzipMember> member;
};

Outcome check_in_pieces(std::string_view bytes, std::size_t piece) {
  slipway::addons::postgres::GzipMemberCheck check;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    (void)check.feed(bytes.substr(at, piece));
  }
  return {check.failed(), check.member()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Outcome whole = check_in_pieces(bytes, bytes.size() + 1);
  for (const std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{64}}) {
    if (piece == 1 && size > 4096) continue;
    const Outcome cut = check_in_pieces(bytes, piece);
    FUZZ_CHECK(cut.failed == whole.failed);
    FUZZ_CHECK(cut.member.has_value() == whole.member.has_value());
    if (whole.member) {
      FUZZ_CHECK(cut.member->payload_start == whole.member->payload_start);
      FUZZ_CHECK(cut.member->payload_size == whole.member->payload_size);
      FUZZ_CHECK(cut.member->adler32 == whole.member->adler32);
      FUZZ_CHECK(cut.member->copy_rows == whole.member->copy_rows);
    }
  }
  if (whole.member) {
    FUZZ_CHECK(!whole.failed);
    FUZZ_CHECK(whole.member->payload_start >= 10);
    FUZZ_CHECK(whole.member->payload_start + whole.member->payload_size + 8 == size);
  }
  return 0;
}

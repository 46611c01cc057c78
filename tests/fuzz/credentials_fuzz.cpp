// Fuzzes Authorization-header parsing (raw, and as "Basic base64(input)") and base64: encoding
// round-trips, decoding accepts exactly well-formed padded base64, and tokens are never blank.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "api/credentials.h"
#include "common/encoding.h"
#include "fuzz_check.h"

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 4648 with padding: groups of four, '=' only as the last one or two characters.
bool well_formed_base64(std::string_view text) {
  if (text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  for (std::size_t i = 0; i + padding < text.size(); ++i) {
    if (kAlphabet.find(text[i]) == std::string_view::npos) return false;
  }
  return true;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool placeholder(std::string_view token) {
  return token.empty() || token == "undefined" || token == "null";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // base64: the encoding has the canonical length and decodes back to the input.
  const std::string encoded = slipway::base64_encode(input);
  FUZZ_CHECK(encoded.size() == (input.size() + 2) / 3 * 4);
  FUZZ_CHECK(well_formed_base64(encoded));
  const auto decoded = slipway::base64_decode(encoded);
  FUZZ_CHECK(decoded && *decoded == input);

  // Arbitrary text decodes exactly when well formed, to 3 bytes per group minus padding.
  const auto raw = slipway::base64_decode(input);
  FUZZ_CHECK(raw.has_value() == well_formed_base64(input));
  if (raw) {
    const std::size_t padding = input.ends_with("==") ? 2 : (input.ends_with("=") ? 1 : 0);
    FUZZ_CHECK(raw->size() == input.size() / 4 * 3 - padding);
    FUZZ_CHECK(slipway::base64_decode(slipway::base64_encode(*raw)) == raw);
  }

  // The input as a whole header: a token is never blank or a placeholder, and a Bearer token is
  // the trimmed rest of the header.
  const auto token = slipway::api::token_from_authorization(input);
  if (token) FUZZ_CHECK(!placeholder(*token));
  const std::string_view header = trim_spaces(input);
  if (header.size() >= 7 &&
      (header.substr(0, 7) == "Bearer " || header.substr(0, 7) == "bearer ")) {
    const std::string_view rest = trim_spaces(header.substr(7));
    FUZZ_CHECK(placeholder(rest) ? !token : (token && *token == rest));
  }

  // The input as Basic credentials ("user:token"): the token is everything after the first ':'.
  const auto basic = slipway::api::token_from_authorization("Basic " + encoded);
  const auto colon = input.find(':');
  if (colon == std::string_view::npos || placeholder(input.substr(colon + 1))) {
    FUZZ_CHECK(!basic);
  } else {
    FUZZ_CHECK(basic && *basic == input.substr(colon + 1));
  }
  return 0;
}

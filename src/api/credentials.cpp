#include "api/credentials.h"

#include <strings.h>

#include "common/encoding.h"

namespace slipway::api {
namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> token_from_authorization(std::string_view header) {
  header = trim(header);
  std::string token;
  if (starts_with_ci(header, "Bearer ")) {
    token = std::string(trim(header.substr(7)));
  } else if (starts_with_ci(header, "Basic ")) {
    const auto decoded = base64_decode(trim(header.substr(6)));
    if (!decoded) return std::nullopt;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    token = decoded->substr(colon + 1);
  } else {
    return std::nullopt;
  }
  // The CLI sends the literal "Bearer undefined" when it has no token at all.
  if (token.empty() || token == "undefined" || token == "null") return std::nullopt;
  return token;
}

}  // namespace slipway::api

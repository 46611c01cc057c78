// Fuzzes request-target parsing (no empty decoded segment; re-encoding parses back the same), and
// checks validate_app_name and parse_accept on the same input against their documented rules.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/accept.h"
#include "api/app_names.h"
#include "api/routing.h"
#include "fuzz_check.h"

namespace {

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

std::string percent_encode(std::string_view s) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (lower(ch) || digit(ch) || (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_' || ch == '.') {
      out.push_back(ch);
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 0xF]};
    }
  }
  return out;
}

// 3-30 of [a-z0-9-], starting with a letter and ending with a letter or digit.
bool app_name_ok(std::string_view name) {
  if (name.size() < 3 || name.size() > 30) return false;
  if (!lower(name.front()) || !(lower(name.back()) || digit(name.back()))) return false;
  for (const char c : name) {
    if (!lower(c) && !digit(c) && c != '-') return false;
  }
  return true;
}

void check_target(std::string_view input) {
  const auto target = slipway::api::parse_target(input);
  if (!target) return;
  FUZZ_CHECK(!input.empty() && input.front() == '/');
  std::string again;
  for (const auto& segment : target->segments) {
    FUZZ_CHECK(!segment.empty());
    again += "/" + percent_encode(segment);
  }
  if (again.empty()) again = "/";
  if (input.find('?') == std::string_view::npos) {
    FUZZ_CHECK(target->query.empty());
  } else {
    char sep = '?';
    for (const auto& [key, value] : target->query) {
      FUZZ_CHECK(!key.empty());
      again += sep + percent_encode(key) + "=" + percent_encode(value);
      sep = '&';
    }
  }
  const auto reparsed = slipway::api::parse_target(again);
  FUZZ_CHECK(reparsed && reparsed->segments == target->segments &&
             reparsed->query == target->query);
}

void check_accept(std::string_view header) {
  const auto accepted = slipway::api::parse_accept(header);
  const auto at = header.find("application/vnd.heroku+json");
  if (at == std::string_view::npos) {
    FUZZ_CHECK(accepted.ok() && accepted->defaulted && accepted->variant.empty());
    return;
  }
  if (!accepted.ok()) return;
  FUZZ_CHECK(!accepted->defaulted);
  FUZZ_CHECK(accepted->variant.find_first_of(",; ") == std::string::npos);
  FUZZ_CHECK(header.find("version=3", at) != std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_target(input);
  FUZZ_CHECK(slipway::api::validate_app_name(input).ok() == app_name_ok(input));
  check_accept(input);
  return 0;
}

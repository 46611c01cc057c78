#include "common/zoneinfo.h"

#include <fstream>
#include <iterator>
#include <string>

namespace slipway {
namespace {

bool zone_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '_' || c == '-' || c == '+';
}

Error unknown_zone(std::string_view name) {
  return make_error(ErrorCode::kInvalidParams,
                    "Unknown time zone `" + std::string(name) +
                        "`: use a zone name such as America/New_York, Europe/London or UTC.");
}

}  // namespace

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!zone_char(name[i])) return false;
    if (name[i] == '/' && name[i + 1] == '/') return false;  // back() is not '/'
  }
  return true;
}

Result<TimeZone> load_zone(std::string_view name, const std::filesystem::path& dir) {
  if (!valid_zone_name(name)) return unknown_zone(name);
  const auto file = dir / std::string(name);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return unknown_zone(name);
  constexpr std::size_t kMaxBytes = 1 << 20;  // real files are a few KiB
  if (std::filesystem::file_size(file, ec) > kMaxBytes || ec) return unknown_zone(name);
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) return unknown_zone(name);
  auto zone = TimeZone::from_tzif(bytes);
  if (!zone) return unknown_zone(name);
  return zone;
}

}  // namespace slipway

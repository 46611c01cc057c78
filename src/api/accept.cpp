#include "api/accept.h"

namespace slipway::api {

Result<AcceptedVersion> parse_accept(std::string_view header) {
  constexpr std::string_view kMediaType = "application/vnd.heroku+json";
  const auto at = header.find(kMediaType);
  if (at == std::string_view::npos) return AcceptedVersion{"", true};
  const std::string_view params = header.substr(at + kMediaType.size());
  const auto v = params.find("version=");
  if (v == std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest,
                      "Please specify a version along with Heroku's API MIME type. For example, "
                      "`Accept: application/vnd.heroku+json; version=3`.");
  }
  std::string_view version = params.substr(v + 8);
  const auto stop = version.find_first_of(",; ");
  if (stop != std::string_view::npos) version = version.substr(0, stop);
  const auto dot = version.find('.');
  const std::string_view major = version.substr(0, dot);
  if (major != "3") {
    return make_error(ErrorCode::kBadRequest,
                      "Unsupported API version `" + std::string(version) +
                          "`; this server speaks version 3 (`Accept: application/vnd.heroku+json; "
                          "version=3`).");
  }
  AcceptedVersion accepted;
  if (dot != std::string_view::npos) accepted.variant = std::string(version.substr(dot + 1));
  return accepted;
}

}  // namespace slipway::api

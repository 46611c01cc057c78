// The Accept header's API version: "application/vnd.heroku+json; version=3[.variant]".
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::api {

struct AcceptedVersion {
  std::string variant;     // "sdk", "pipelines", ... or empty for plain version 3
  bool defaulted = false;  // no Heroku media type was asked for; version 3 was assumed
};

// Version 3 (any variant) is served. A Heroku media type without a version, or with another
// version, is refused as Heroku does; a generic Accept (or none) defaults to version 3.
Result<AcceptedVersion> parse_accept(std::string_view header);

}  // namespace slipway::api

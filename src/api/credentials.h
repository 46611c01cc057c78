// Extracting the API token from an Authorization header (Bearer, or Basic with the token as
// password and any username, which is how git and the CLI's credential helper send it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slipway::api {

// The presented token, or nullopt for a missing, malformed or placeholder ("undefined") header.
std::optional<std::string> token_from_authorization(std::string_view header);

}  // namespace slipway::api

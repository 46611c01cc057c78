// Which app a request is for, from its Host header: "<app>.<domain>[:port]".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slipway::router {

// The app name, lower-cased, or nullopt when the host is not "<one label>.<domain>" (with an
// optional port) or is malformed.
std::optional<std::string> app_for_host(std::string_view host, std::string_view domain);

}  // namespace slipway::router

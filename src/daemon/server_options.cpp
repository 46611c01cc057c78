#include "daemon/server_options.h"

#include <charconv>

namespace slipway::daemon {

Result<HostPort> parse_host_port(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return make_error(ErrorCode::kInvalidParams,
                      "expected HOST:PORT (for example 127.0.0.1:5000), got `" + text + "`");
  }
  HostPort out;
  out.host = text.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host == "localhost") out.host = "127.0.0.1";
  unsigned port = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || ptr != end || port > 65535) {
    return make_error(ErrorCode::kInvalidParams, "invalid port in `" + text + "`");
  }
  out.port = static_cast<unsigned short>(port);
  return out;
}

}  // namespace slipway::daemon

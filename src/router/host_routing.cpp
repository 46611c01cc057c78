#include "router/host_routing.h"

#include <cctype>

namespace slipway::router {

std::optional<std::string> app_for_host(std::string_view host, std::string_view domain) {
  if (host.empty() || host.size() > 255 || domain.empty()) return std::nullopt;
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    const auto port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5) return std::nullopt;
    for (const char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // fully qualified form
  std::string lowered;
  lowered.reserve(host.size());
  for (const char c : host)
    lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const std::string suffix = "." + std::string(domain);
  if (lowered.size() <= suffix.size() ||
      lowered.compare(lowered.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  std::string app = lowered.substr(0, lowered.size() - suffix.size());
  if (app.empty() || app.size() > 30) return std::nullopt;
  for (const char c : app) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
  }
  return app;
}

}  // namespace slipway::router

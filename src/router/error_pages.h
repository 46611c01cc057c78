// Heroku's router errors: the H-code, its description, and the HTML page the visitor sees.
#pragma once

#include <string>

namespace slipway::router {

struct RouterError {
  const char* code;         // "H14"
  const char* description;  // "No web processes running"
  unsigned status;          // 503
};

inline constexpr RouterError kNoWebDynos{"H14", "No web processes running", 503};
inline constexpr RouterError kAppCrashed{"H10", "App crashed", 503};
inline constexpr RouterError kClosedWithoutResponse{"H13", "Connection closed without response",
                                                    503};
inline constexpr RouterError kRequestTimeout{"H12", "Request timeout", 503};
inline constexpr RouterError kMaintenance{"H80", "Maintenance mode", 503};

std::string error_page(const RouterError& error);
std::string no_such_app_page();

}  // namespace slipway::router

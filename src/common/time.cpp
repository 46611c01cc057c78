#include "common/time.h"

#include <ctime>

namespace slipway {

std::string iso8601(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string now_iso8601() { return iso8601(std::chrono::system_clock::now()); }

}  // namespace slipway

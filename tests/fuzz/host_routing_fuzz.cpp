// Fuzzes the router's Host header parsing (app_for_host). The first input byte picks the router's
// --domain (even: "localhost", odd: "apps.example.org"); the rest is the Host header. Checks:
//   - a returned app name is 1-30 chars of [a-z0-9-], and the host (lower-cased, minus the port
//     and one trailing dot) is exactly "<name>.<domain>";
//   - the upper-cased host routes to the same result (Host is case-insensitive);
//   - "<name>.localhost:8080" and "<name>.<domain>:8080" route back to the same name.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "router/host_routing.h"

namespace {

using slipway::router::app_for_host;

bool name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

bool app_name_shape(std::string_view name) {
  if (name.empty() || name.size() > 30) return false;
  for (const char c : name) {
    if (!name_char(c)) return false;
  }
  return true;
}

// ASCII only, as HTTP hosts are: bytes >= 0x80 are left alone.
std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The host without ":<port>" (when what follows the last colon is all digits) and one trailing dot.
std::string_view strip_port_and_dot(std::string_view host) {
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    FUZZ_CHECK(!app_for_host("", "localhost"));
    return 0;
  }
  const std::string_view domain = (data[0] & 1) == 0 ? "localhost" : "apps.example.org";
  const std::string_view host(reinterpret_cast<const char*>(data + 1), size - 1);

  const std::optional<std::string> app = app_for_host(host, domain);
  FUZZ_CHECK(app == app_for_host(host, domain));  // deterministic

  // Host names are case-insensitive: the upper-cased header routes the same way.
  FUZZ_CHECK(app == app_for_host(ascii_upper(host), domain));

  if (!app) return 0;
  FUZZ_CHECK(app_name_shape(*app));
  FUZZ_CHECK(host.size() <= 255);
  FUZZ_CHECK(ascii_lower(strip_port_and_dot(host)) == *app + "." + std::string(domain));

  // Round trips: a name the router returned routes back to itself under a conventional host.
  FUZZ_CHECK(app_for_host(*app + ".localhost:8080", "localhost") == app);
  FUZZ_CHECK(app_for_host(*app + "." + std::string(domain) + ":8080", domain) == app);
  FUZZ_CHECK(app_for_host(*app + "." + std::string(domain), domain) == app);
  FUZZ_CHECK(app_for_host(ascii_upper(*app + "." + std::string(domain) + "."), domain) == app);
  // The name is one label: with another label between it and the domain, nothing routes.
  FUZZ_CHECK(!app_for_host(*app + ".other." + std::string(domain), domain));
  return 0;
}

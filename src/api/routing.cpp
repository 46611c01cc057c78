#include "api/routing.h"

namespace slipway::api {
namespace {

std::vector<std::string> split_pattern(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::optional<Target> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  Target out;
  const auto q = target.find('?');
  for (const auto& raw : split_pattern(target.substr(0, q))) {
    auto decoded = percent_decode(raw, false);
    if (!decoded) return std::nullopt;
    out.segments.push_back(std::move(*decoded));
  }
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (!key || !value) return std::nullopt;
      if (!key->empty()) out.query[*key] = *value;
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  return out;
}

void Routes::add(http::verb method, std::string_view pattern, Handler handler) {
  routes_.push_back(Route{method, split_pattern(pattern), std::move(handler), true});
}

void Routes::add_capability(http::verb method, std::string_view pattern, Handler handler) {
  routes_.push_back(Route{method, split_pattern(pattern), std::move(handler), false});
}

Routes::Match Routes::match(http::verb method, const std::vector<std::string>& segments) const {
  Match result;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string, std::less<>> params;
    bool same = true;
    for (std::size_t i = 0; i < route.segments.size() && same; ++i) {
      const auto& want = route.segments[i];
      if (is_param(want)) {
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        same = want == segments[i];
      }
    }
    if (!same) continue;
    result.path_known = true;
    if (route.method == method) {
      result.handler = &route.handler;
      result.requires_auth = route.requires_auth;
      result.params = std::move(params);
      return result;
    }
  }
  return result;
}

}  // namespace slipway::api

// Request context, handler signature, and method+path routing with {param} segments.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/accept.h"
#include "api/http_types.h"
#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

struct RequestContext {
  const Request& request;
  std::map<std::string, std::string, std::less<>> params;  // from the path pattern
  std::map<std::string, std::string, std::less<>> query;
  store::Account account;
  AcceptedVersion accept;
  std::vector<std::string> warnings;  // sent as X-Heroku-Warning headers
  // The body streamed to a file (uploads only); see HttpsServer::UploadTarget.
  std::optional<std::filesystem::path> body_file;

  const std::string& param(std::string_view name) const { return params.find(name)->second; }
  std::string header(http::field field) const { return std::string(request[field]); }
};

struct Reply {
  http::status status = http::status::ok;
  nlohmann::json body;  // null: an empty body
  std::vector<std::pair<std::string, std::string>> headers;
  BodyStream stream;         // set: the body is streamed (and `body` is ignored)
  std::string content_type;  // set: overrides application/json
};

using Handler = std::function<Result<Reply>(RequestContext&)>;

class Routes {
 public:
  // `pattern` is like "/apps/{app}/releases/{release}".
  void add(http::verb method, std::string_view pattern, Handler handler);
  // A route that needs no credentials: its URL is itself the capability (it embeds a secret).
  void add_capability(http::verb method, std::string_view pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method (see path_known)
    bool path_known = false;           // some route has this path, with another method
    bool requires_auth = true;
    std::map<std::string, std::string, std::less<>> params;
  };
  Match match(http::verb method, const std::vector<std::string>& segments) const;

 private:
  struct Route {
    http::verb method;
    std::vector<std::string> segments;
    Handler handler;
    bool requires_auth = true;
  };
  std::vector<Route> routes_;
};

// Splits "/a/b%20c?x=1" into decoded path segments and query parameters; nullopt if malformed.
struct Target {
  std::vector<std::string> segments;
  std::map<std::string, std::string, std::less<>> query;
};
std::optional<Target> parse_target(std::string_view target);

}  // namespace slipway::api

// What the git smart-HTTP routes need from the build subsystem, as an interface the daemon
// implements (so the API never starts processes or includes the build's implementation).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/http_types.h"
#include "common/result.h"

namespace slipway::api {

// One authenticated smart-HTTP request against an app's repository.
struct GitCall {
  std::string app_id;
  std::string account_id;
  std::string account_email;
  std::string method;  // "GET" or "POST"
  std::string path;    // "info/refs", "git-upload-pack" or "git-receive-pack"
  std::string query;   // the raw query string
  std::string content_type;
  std::string content_encoding;
  std::string git_protocol;                        // the Git-Protocol header
  std::optional<std::filesystem::path> body_file;  // POST bodies (see Upload)
};

struct GitReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  BodyStream body;  // git's output as it comes (a push's includes the build's)
};

class GitBackend {
 public:
  virtual ~GitBackend() = default;
  // Serves the call from the app's repository (created on first use).
  virtual Result<GitReply> serve(const GitCall& call) = 0;
  // The app was destroyed: its repository goes too.
  virtual void app_destroyed(const std::string& app_id) = 0;
};

}  // namespace slipway::api

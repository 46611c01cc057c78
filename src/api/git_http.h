// Git smart HTTP on the API port, at /<app>.git (the remote the heroku CLI writes):
//
//   GET  /<app>.git/info/refs?service=git-upload-pack|git-receive-pack
//   POST /<app>.git/git-upload-pack
//   POST /<app>.git/git-receive-pack
//
// Authentication is HTTP Basic with any username and an API token as the password (what the
// CLI's credential helper, `heroku git:credentials`, gives git after a 401 challenge); the
// caller must have access to the app. Answers git reads are plain text: git shows them as
// "remote:" lines. The requests themselves are served by a GitBackend (git http-backend).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "api/git_backend.h"
#include "api/http_types.h"
#include "api/settings.h"
#include "store/blob_store.h"
#include "store/store.h"

namespace slipway::api {

struct GitTarget {
  std::string app;    // name (or id), without ".git"
  std::string path;   // "info/refs", "git-upload-pack", "git-receive-pack", or anything else
  std::string query;  // raw, after '?'
};

// A request target under /<app>.git/, or nullopt. App names never end in ".git", so these never
// shadow a Platform API path.
std::optional<GitTarget> parse_git_target(std::string_view target);

class GitHttp {
 public:
  GitHttp(store::Store& store, store::BlobStore& blobs, GitBackend& backend,
          const ApiSettings& settings);

  Outgoing handle(const Request& request, const GitTarget& target,
                  const std::optional<std::filesystem::path>& body_file);
  // Authenticated POSTs stream to a file, up to the push size limit; the rest stay in memory
  // (and get 401).
  std::optional<Upload> upload_target(const Request& header, const GitTarget& target);

  // The answer to a POST larger than the limit: in git's protocol for a receive-pack whose
  // commands could be read, so git shows why; otherwise a plain-text 413.
  static Outgoing too_large(const Request& header, const std::filesystem::path& first_bytes,
                            std::uint64_t total_bytes, std::uint64_t limit);

 private:
  store::Store& store_;
  store::BlobStore& blobs_;
  GitBackend& backend_;
  const ApiSettings& settings_;
};

// "1.5 MB", "500 MB": sizes as git users read them (MB = 2^20 bytes, as Heroku's slug limit).
std::string human_size(std::uint64_t bytes);

}  // namespace slipway::api

// The Platform API: turns one HTTP request into one response. Stateless apart from the store;
// safe to call from many threads at once.
#pragma once

#include <memory>

#include "api/git_http.h"
#include "api/http_types.h"
#include "api/resources.h"
#include "api/routing.h"
#include "api/settings.h"
#include "store/blob_store.h"
#include "store/store.h"

namespace slipway::api {

class ApiService {
 public:
  ApiService(store::Store& store, store::BlobStore& blobs, RuntimeControl& runtime,
             BuildControl& builds, ReleaseControl& releases, AddonControl& addons,
             PostgresControl& postgres, TransferControl& transfers, GitBackend& git,
             ApiSettings settings);
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  // Never throws: every failure becomes a Heroku-shaped error response.
  Outgoing handle(const Request& request, const std::optional<std::filesystem::path>& body_file);
  // Where to stream a request's body (uploads), for HttpsServer::UploadTarget.
  std::optional<Upload> upload_target(const Request& header);

  const ApiSettings& settings() const { return settings_; }
  // Called once the listener is bound (port 0 picks the port), before serving starts.
  void set_public_address(std::string api_url, std::string git_host) {
    settings_.api_url = std::move(api_url);
    settings_.git_host = std::move(git_host);
  }

 private:
  Outgoing dispatch(const Request& request, const std::optional<std::filesystem::path>& body_file,
                    std::vector<std::string>& warnings);

  store::Store& store_;
  store::BlobStore& blobs_;
  ApiSettings settings_;
  ApiDeps deps_;
  Routes routes_;
  GitHttp git_http_;
};

// The Request-Id to answer with: the first id the client sent if it looks like one, else new.
std::string choose_request_id(std::string_view header);

}  // namespace slipway::api

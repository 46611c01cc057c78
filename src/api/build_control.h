// What the API needs from the build service, as an interface the daemon implements (so the API
// never includes build implementation headers).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

struct BuildRequest {
  std::string source_url;              // as the client gave it (shown in the build)
  std::filesystem::path source_file;   // the tarball on this machine; empty: download source_url
  std::optional<std::string> version;  // e.g. a commit sha
  std::optional<std::string> checksum;
  std::optional<std::vector<std::string>> buildpacks;  // absent: the app's own list
};

class BuildControl {
 public:
  virtual ~BuildControl() = default;
  // Creates the build (pending) and runs it in the background: buildpacks, slug, release and
  // its release phase. Refused (kConflict) while another build of the app runs.
  virtual Result<store::Build> start_build(const store::App& app, const store::Account& user,
                                           const BuildRequest& request) = 0;
};

}  // namespace slipway::api

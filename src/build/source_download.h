// The Build API's remote sources: the tarball at a build's `source_blob.url`, downloaded with
// curl (build/http_download) as the build's uid into a file that only the download can write.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "common/result.h"

namespace slipway::build {

struct SourceDownload {
  std::string url;             // checked by the API (http or https)
  std::filesystem::path file;  // created here (it must not exist); its directory is ours
  std::optional<std::pair<uid_t, gid_t>> run_as;  // curl runs as this uid when set
  std::uint64_t max_bytes = 0;                    // the largest push this Slipway accepts
  std::uint64_t memory_limit_bytes = 0;
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds max_time{600};
  const std::atomic<bool>* cancel = nullptr;
};

// Downloads it. On failure the message is the line for the build output: "The source could not
// be downloaded from https://host/path.tgz: HTTP 404" (the URL without query string or userinfo).
Status download_source(const SourceDownload& download);

}  // namespace slipway::build

// Downloading one file over http(s) with curl (argv only, as the build's uid, under the build's
// limits): buildpack tarballs and the Build API's source tarballs. Errors say what went wrong
// in a few words, without the URL: callers show it through display_url.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "build/build_process.h"
#include "common/result.h"

namespace slipway::build {

struct DownloadSpec {
  std::string url;             // http:// or https:// (redirects may go to those only)
  std::filesystem::path file;  // written by curl: must be writable by limits.run_as
  std::uint64_t max_bytes = 0;
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds max_time{600};
};

struct DownloadContext {
  std::map<std::string, std::string> env;  // curl's whole environment (PATH finds curl)
  ProcessLimits limits;                    // max_file_bytes is set from max_bytes
  ProcessControl control;
};

// Downloads spec.url to spec.file. The error's message is the reason only ("HTTP 404", "it is
// larger than 500M", "could not connect"); kInvalidParams when the URL or its server is at
// fault, kInternal when this machine is (curl missing, cancelled). A partial file may be left.
Status download_file(const DownloadSpec& spec, const DownloadContext& context);

// The URL as logs and build output may show it: without userinfo, query string or fragment,
// which can carry credentials ("https://host/path/file.tgz").
std::string display_url(std::string_view url);

}  // namespace slipway::build

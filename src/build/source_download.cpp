#include "build/source_download.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "build/http_download.h"

namespace slipway::build {

Status download_source(const SourceDownload& download) {
  const std::string what = "The source could not be downloaded from " + display_url(download.url);
  // Created by us in a directory the build's uid cannot write: curl (as that uid) can fill the
  // file but not swap it for a link to something else before we read it.
  const int fd =
      ::open(download.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kInternal,
                      what + ": " + std::error_code(errno, std::generic_category()).message());
  }
  const bool owned =
      !download.run_as || ::fchown(fd, download.run_as->first, download.run_as->second) == 0;
  ::close(fd);
  if (!owned) return make_error(ErrorCode::kInternal, what + ": cannot hand the file to the build");
  DownloadSpec spec{download.url, download.file, download.max_bytes, download.connect_timeout,
                    download.max_time};
  DownloadContext context;
  context.env = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/"}, {"LANG", "C.UTF-8"}};
  context.limits.run_as = download.run_as;
  context.limits.memory_limit_bytes = download.memory_limit_bytes;
  context.limits.nice_increment = 10;
  context.control.cancel = download.cancel;
  if (auto s = download_file(spec, context); !s) {
    return make_error(s.error().code, what + ": " + s.error().message);
  }
  return {};
}

}  // namespace slipway::build

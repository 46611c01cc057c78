// Output files of builds and release phases: written while they run, streamed to the pusher and
// to their output_stream_url (which keeps the response open until the work ends).
#pragma once

#include <filesystem>
#include <string>

namespace slipway::logs {

inline std::filesystem::path build_output_file(const std::filesystem::path& data_dir,
                                               const std::string& build_id) {
  return data_dir / "builds" / (build_id + ".log");
}

inline std::filesystem::path release_output_file(const std::filesystem::path& data_dir,
                                                 const std::string& release_id) {
  return data_dir / "release-output" / (release_id + ".log");
}

}  // namespace slipway::logs

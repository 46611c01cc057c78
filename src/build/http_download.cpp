#include "build/http_download.h"

#include <csignal>
#include <vector>

#include "build/buildpack_runner.h"

namespace slipway::build {
namespace {

Error bad(std::string why) { return make_error(ErrorCode::kInvalidParams, std::move(why)); }

// curl's exit codes (man curl, EXIT CODES) in words; never its own message, which can quote
// parts of the URL.
Error curl_failed(int exit_code, const std::string& http_code, const DownloadSpec& spec) {
  switch (exit_code) {
    case 22:
      return bad("HTTP " + http_code);
    case 63:
      return bad("it is larger than " + format_build_size(spec.max_bytes));
    case 6:
      return bad("the host name could not be resolved");
    case 7:
      return bad("could not connect to the server");
    case 28:
      return bad("no complete answer within the time limit (" +
                 std::to_string(spec.connect_timeout.count()) + " s to connect, " +
                 std::to_string(spec.max_time.count()) + " s in all)");
    case 47:
      return bad("too many redirects");
    case 1:
      return bad("only http and https URLs are fetched (redirects included)");
    case 3:
      return bad("the URL is malformed");
    case 35:
    case 60:
      return bad("the TLS connection failed (is the server's certificate trusted?)");
    case 18:
    case 52:
    case 56:
      return bad("the server closed the connection before the whole file arrived");
    default:
      return bad("curl failed (exit " + std::to_string(exit_code) + ")");
  }
}

}  // namespace

Status download_file(const DownloadSpec& spec, const DownloadContext& context) {
  const auto path = context.env.find("PATH");
  auto curl = find_program("curl", path == context.env.end() ? "/usr/bin:/bin" : path->second);
  if (!curl) {
    return make_error(ErrorCode::kInternal,
                      "`curl` is not installed on this machine (apt-get install curl)");
  }
  ProcessSpec process;
  // --disable first: no ~/.curlrc, whatever HOME holds. --max-filesize refuses an announced
  // size at once; RLIMIT_FSIZE stops one that is not announced.
  process.argv = {curl->string(),
                  "--disable",
                  "--fail",
                  "--silent",
                  "--location",
                  "--max-redirs",
                  "5",
                  "--proto",
                  "=https,http",
                  "--proto-redir",
                  "=https,http",
                  "--connect-timeout",
                  std::to_string(spec.connect_timeout.count()),
                  "--max-time",
                  std::to_string(spec.max_time.count()),
                  "--retry",
                  "2",
                  "--write-out",
                  "%{http_code}",
                  "--output",
                  spec.file.string()};
  if (spec.max_bytes > 0) {
    process.argv.insert(process.argv.end(), {"--max-filesize", std::to_string(spec.max_bytes)});
  }
  process.argv.push_back(spec.url);
  process.env = context.env;
  const auto home = context.env.find("HOME");
  process.cwd = std::filesystem::path(home == context.env.end() ? "/" : home->second);
  process.limits = context.limits;
  process.limits.max_file_bytes = spec.max_bytes;
  process.capture_stdout = true;  // the status code; --silent leaves stderr empty
  process.max_capture = 64;
  auto outcome = run_process(
      process, [](std::string_view) {}, context.control);
  if (!outcome) return outcome.error();
  if (outcome->cancelled) return make_error(ErrorCode::kInternal, "cancelled");
  if (outcome->timed_out) return make_error(ErrorCode::kInternal, "the build timed out");
  if (outcome->signal == SIGXFSZ) {
    return bad("it is larger than " + format_build_size(spec.max_bytes));
  }
  if (outcome->signal != 0) {
    return make_error(ErrorCode::kInternal,
                      "curl was killed by signal " + std::to_string(outcome->signal));
  }
  if (outcome->exit_code != 0) return curl_failed(outcome->exit_code, outcome->captured, spec);
  return {};
}

std::string display_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  std::string shown;
  if (scheme_end != std::string_view::npos) {
    shown = std::string(url.substr(0, scheme_end + 3));
    url.remove_prefix(scheme_end + 3);
    const std::string_view authority = url.substr(0, url.find_first_of("/?#"));
    const auto at = authority.rfind('@');
    shown += std::string(at == std::string_view::npos ? authority : authority.substr(at + 1));
    url.remove_prefix(authority.size());
  }
  shown += std::string(url.substr(0, url.find_first_of("?#")));
  return shown;
}

}  // namespace slipway::build

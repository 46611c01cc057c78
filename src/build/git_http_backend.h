// Git smart HTTP, served by `git http-backend` run as a CGI program.
//
// Why http-backend rather than `git receive-pack/upload-pack --stateless-rpc` directly: it
// already implements the HTTP half of the protocol the way git clients expect it: the service
// advertisement ("# service=..." pkt-line and flush), protocol v2 (the Git-Protocol header,
// passed as HTTP_GIT_PROTOCOL), gzip-encoded request bodies, content types, the no-cache
// headers, and refusing disabled services. What is left to us is a CGI header block (a few
// "Name: value" lines, parsed below) in front of a body we stream as it comes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace slipway::build {

// A CGI response header (RFC 3875 section 6): "Status: 404 Not Found" sets the status, the other
// fields are the HTTP response's.
struct CgiHeader {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> fields;
};

// Parses the header block (without the empty line that ends it). Lines end in CRLF or LF.
Result<CgiHeader> parse_cgi_header(std::string_view block);

struct GitHttpCall {
  std::string method;      // "GET" or "POST"
  std::string repository;  // the directory under the project root, "<app id>.git"
  std::string path;        // "info/refs", "git-upload-pack" or "git-receive-pack"
  std::string query;       // the raw query string ("service=git-receive-pack")
  std::string content_type;
  std::string content_encoding;                    // "gzip" is inflated by http-backend
  std::string git_protocol;                        // the Git-Protocol header ("version=2")
  std::string remote_user;                         // who is pushing (receive-pack needs one)
  std::optional<std::filesystem::path> body_file;  // POST bodies
  std::map<std::string, std::string> extra_env;    // reaches git's hooks too
};

// One running http-backend. Destroying it before its output ended (the client went away) kills
// its whole process group (http-backend, receive-pack, the hook); either way it is reaped.
class GitHttpBackend {
 public:
  static Result<std::unique_ptr<GitHttpBackend>> start(const std::filesystem::path& project_root,
                                                       const GitHttpCall& call);
  ~GitHttpBackend();
  GitHttpBackend(const GitHttpBackend&) = delete;
  GitHttpBackend& operator=(const GitHttpBackend&) = delete;

  // Waits (up to `timeout`) for the CGI header block; the bytes after it start the body.
  Result<CgiHeader> read_header(std::chrono::milliseconds timeout);
  // Never blocks: the next piece of the body, "" when none is ready, nullopt once it ended.
  std::optional<std::string> read_body();

 private:
  GitHttpBackend(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_;
  int fd_;
  bool ended_ = false;
  std::string pending_;  // body bytes read together with the header
};

}  // namespace slipway::build

// An HTTP/1.1 server over TLS (Boost.Beast on Asio coroutines). It owns its io_context and
// worker threads; each connection runs on its own strand and handles keep-alive requests in turn.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/http_types.h"
#include "common/result.h"

namespace slipway::api {

struct ServerLimits {
  std::size_t max_header_bytes =
      std::size_t{64} * 1024;  // the CLI's Request-Id list alone reaches ~7 kB
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::uint64_t max_upload_bytes = std::uint64_t{1024} * 1024 * 1024;  // slug and source archives
  std::chrono::seconds handshake_timeout{15};
  std::chrono::seconds idle_timeout{75};
  std::chrono::seconds request_timeout{60};
  std::chrono::seconds upload_timeout{600};
};

struct TlsFiles {
  std::filesystem::path certificate_chain;
  std::filesystem::path private_key;
};

class HttpsServer {
 public:
  // `body_file` is set when the request's body was streamed to a file (see UploadTarget); the
  // server removes that file once the handler returns.
  using Handler = std::function<Outgoing(const Request&,
                                         const std::optional<std::filesystem::path>& body_file)>;
  // Given a request's header, where to stream its body (a file), or nullopt to read it into
  // memory (up to max_body_bytes).
  using UploadTarget = std::function<std::optional<Upload>(const Request& header)>;

  HttpsServer(Handler handler, UploadTarget upload_target, ServerLimits limits);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  Status load_tls(const TlsFiles& files);
  // Binds host:port (port 0 picks a free one) and returns the bound endpoint.
  Result<boost::asio::ip::tcp::endpoint> listen(const std::string& host, unsigned short port);
  void start(std::size_t threads);
  // Stops accepting, drops open connections and joins the worker threads.
  void stop();

 private:
  Handler handler_;
  UploadTarget upload_target_;
  ServerLimits limits_;
  // Declared before io_ so connections (which hold TLS state) are torn down while it exists.
  boost::asio::ssl::context tls_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace slipway::api

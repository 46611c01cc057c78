// The router's HTTP/1.1 reverse proxy: Host -> app -> one of its up web dynos (round robin),
// keep-alive on both sides, Heroku's forwarding headers, H-code errors with HTML pages, and a
// Heroku-format router log line for every request, written to the app's log.
#pragma once

// Asio 1.18's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "router/route_table.h"

namespace slipway::router {

struct ProxyOptions {
  std::filesystem::path data_dir;  // for app log files
  std::string domain = "localhost";
  std::chrono::seconds first_byte_timeout{30};  // H12 after this
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds idle_timeout{75};     // a kept-alive client connection with no request
  std::chrono::seconds rolling_timeout{55};  // no body byte either way for this long ends it
  std::size_t threads = 2;                   // one event loop per thread
};

class Proxy {
 public:
  Proxy(ProxyOptions options, RouteTable& routes);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  Result<boost::asio::ip::tcp::endpoint> listen(const std::string& host, unsigned short port);
  void start();
  void stop();

  struct Connection;  // one client connection (proxy.cpp)

 private:
  boost::asio::awaitable<void> accept_loop();
  static boost::asio::awaitable<void> serve_connection(std::shared_ptr<Connection> connection);

  ProxyOptions options_;
  RouteTable& routes_;
  // Each event loop is run by exactly one thread, so a connection never needs a strand; the
  // acceptor (on the first loop) deals connections out round robin.
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string listen_port_;  // for X-Forwarded-Port
  std::atomic<std::uint64_t> round_robin_{0};
  std::vector<std::thread> threads_;
};

}  // namespace slipway::router

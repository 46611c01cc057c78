// One client connection of the router (internal to the router's proxy_*.cpp files): the request
// loop, forwarding to a dyno, WebSocket tunnels, and the router log line.
#pragma once

// GCC 12 misreads Asio's recycling allocator for coroutine frames as a new/delete mismatch
// (a known false positive); the frames are allocated and freed by the same awaitable_frame_base.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Asio 1.18's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "router/error_pages.h"
#include "router/proxy.h"

namespace slipway::router {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using RequestParser = http::request_parser<http::buffer_body>;
using RequestHead = http::request_header<>;

inline constexpr RouterError kClientInterrupted{"H27", "Client Request Interrupted", 499};

inline auto on_error(beast::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

inline long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// What became of one request, for the router log line and the connection loop.
struct Exchange {
  std::string request_id;
  Clock::time_point start = Clock::now();
  std::string dyno;
  long long connect_ms = 0;
  const RouterError* error = nullptr;  // set: nothing was relayed, the router answers
  unsigned status = 0;                 // what the client was sent
  std::uint64_t bytes = 0;             // response body bytes sent
  bool responded = false;              // a dyno's response went out (whole or cut short)
  bool reusable = true;                // the client connection can carry another request
};

// A kept-alive connection to one dyno, and the bytes read from it but not yet parsed.
struct Upstream {
  explicit Upstream(const asio::any_io_executor& executor) : stream(executor) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

struct Proxy::Connection {
  Connection(Proxy& proxy, beast::tcp_stream client, std::string client_ip)
      : proxy(proxy), client(std::move(client)), client_ip(std::move(client_ip)) {}

  Proxy& proxy;
  beast::tcp_stream client;
  std::string client_ip;
  beast::flat_buffer client_buffer;
  std::map<int, std::unique_ptr<Upstream>> upstreams;  // by dyno port
  std::array<char, 65536> scratch{};                   // body pieces in flight

  asio::awaitable<void> serve();
  // Sends the request (header read, body still to come) to one of the app's dynos and relays
  // the response back. Leaves `x.error` set when the router must answer instead.
  asio::awaitable<void> forward(RequestParser& parser, const runtime::AppRoute& route, Exchange& x);
  // An Upgrade request (WebSocket): relays the 101 and then bytes both ways until either side
  // closes. The connection is the tunnel's from then on.
  asio::awaitable<void> tunnel(const RequestHead& req, const runtime::AppRoute& route, Exchange& x);
  asio::awaitable<void> answer(const RequestHead& req, unsigned status, std::string body,
                               Exchange& x);
  void log_line(const std::string& app_id, const RequestHead& req, const Exchange& x) const;
};

}  // namespace slipway::router

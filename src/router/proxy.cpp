#include "router/proxy.h"

// GCC 12 misreads Asio's recycling allocator for coroutine frames as a new/delete mismatch
// (a known false positive); the frames are allocated and freed by the same awaitable_frame_base.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <array>
#include <cctype>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <memory>

#include "common/ids.h"
#include "common/tcp_listen.h"
#include "logs/app_log.h"
#include "router/error_pages.h"
#include "router/host_routing.h"

namespace slipway::router {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool is_request_id(std::string_view id) {
  if (id.size() < 20 || id.size() > 200) return false;
  for (const char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

// Quotes a value for a log line; request paths are attacker-controlled.
std::string log_quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s.substr(0, 2048)) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  return out + "\"";
}

Response page(unsigned status, std::string body, unsigned version) {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::server, "slipway-router");
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::cache_control, "no-cache, no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

struct Proxy::Connection {
  Proxy& proxy;
  beast::tcp_stream client;
  std::string client_ip;
  std::map<int, std::unique_ptr<beast::tcp_stream>> upstreams;  // keep-alive, per backend port

  struct Forwarded {
    Response response;
    std::string dyno;
    long long connect_ms = 0;
    const RouterError* error = nullptr;
  };

  enum class Outcome { kOk, kClosed, kTimeout, kInterrupted };

  asio::awaitable<void> serve();
  // An Upgrade request (WebSocket): relays the 101 and then bytes both ways until either side
  // closes. The connection is the tunnel's from then on.
  asio::awaitable<void> tunnel(Request& req, const runtime::AppRoute& route,
                               const std::string& request_id, Clock::time_point start,
                               beast::flat_buffer& client_buffer);
  asio::awaitable<Forwarded> forward(Request& req, const runtime::AppRoute& route);
  asio::awaitable<Outcome> exchange(beast::tcp_stream& upstream, Request& req, Response& res);
  void log_line(const std::string& app_id, const Request& req, const std::string& request_id,
                const Forwarded& f, long long service_ms, std::size_t bytes) const;
};

asio::awaitable<Proxy::Connection::Outcome> Proxy::Connection::exchange(beast::tcp_stream& upstream,
                                                                        Request& req,
                                                                        Response& res) {
  beast::error_code ec;
  upstream.expires_after(proxy.options_.first_byte_timeout);
  co_await http::async_write(upstream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Outcome::kClosed;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(proxy.options_.max_body_bytes);
  co_await http::async_read_header(upstream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) co_return Outcome::kTimeout;
  if (ec) co_return Outcome::kClosed;
  co_await http::async_read(upstream, buffer, parser,
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Outcome::kInterrupted;
  res = parser.release();
  co_return Outcome::kOk;
}

asio::awaitable<Proxy::Connection::Forwarded> Proxy::Connection::forward(
    Request& req, const runtime::AppRoute& route) {
  Forwarded out;
  const std::size_t n = route.backends.size();
  const std::uint64_t first = proxy.round_robin_.fetch_add(1);
  // Dynos that refuse connections are skipped; if none accepts, the app counts as crashed.
  for (std::size_t attempt = 0; attempt < n; ++attempt) {
    const auto& [dyno, port] = route.backends[(first + attempt) % n];
    out.dyno = dyno;
    auto& slot = upstreams[port];
    for (int tries = 0; tries < 2; ++tries) {
      const bool reused = slot != nullptr;
      const auto connect_start = Clock::now();
      if (!slot) {
        slot = std::make_unique<beast::tcp_stream>(client.get_executor());
        slot->expires_after(proxy.options_.connect_timeout);
        beast::error_code ec;
        co_await slot->async_connect(
            tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)),
            asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          slot.reset();
          break;  // not accepting: next dyno
        }
      }
      out.connect_ms = ms_since(connect_start);
      const Outcome outcome = co_await exchange(*slot, req, out.response);
      if (outcome == Outcome::kOk) {
        if (!out.response.keep_alive()) slot.reset();
        co_return out;
      }
      slot.reset();
      // A kept-alive connection the dyno had already closed: retry once on a fresh one.
      if (outcome == Outcome::kClosed && reused) continue;
      out.error = outcome == Outcome::kTimeout ? &kRequestTimeout : &kClosedWithoutResponse;
      co_return out;
    }
  }
  out.error = &kAppCrashed;
  co_return out;
}

void Proxy::Connection::log_line(const std::string& app_id, const Request& req,
                                 const std::string& request_id, const Forwarded& f,
                                 long long service_ms, std::size_t bytes) const {
  std::string line;
  if (f.error) {
    line =
        std::string("at=error code=") + f.error->code + " desc=\"" + f.error->description + "\" ";
  } else {
    line = "at=info ";
  }
  line += "method=" + std::string(req.method_string()) + " path=" + log_quoted(req.target()) +
          " host=" + std::string(req[http::field::host]) + " request_id=" + request_id +
          " fwd=" + log_quoted(client_ip) + " dyno=" + f.dyno +
          " connect=" + std::to_string(f.connect_ms) + "ms service=" + std::to_string(service_ms) +
          "ms status=" + std::to_string(f.error ? f.error->status : f.response.result_int()) +
          " bytes=" + std::to_string(bytes) + " protocol=http";
  logs::append_line(proxy.options_.data_dir, app_id, "heroku", "router", line);
}

asio::awaitable<void> Proxy::Connection::serve() {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(32 * 1024);
    parser.body_limit(proxy.options_.max_body_bytes);
    client.expires_after(proxy.options_.idle_timeout);
    co_await http::async_read(client, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::eof && ec != asio::error::connection_reset) {
        auto res = page(ec == http::error::body_limit ? 413 : 400, "Bad Request\n", 11);
        res.keep_alive(false);
        co_await http::async_write(client, res, asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    Request req = parser.release();
    const auto start = Clock::now();
    const bool keep_alive = req.keep_alive();
    const auto sent_id = req["X-Request-Id"];
    const std::string request_id = is_request_id(sent_id) ? std::string(sent_id) : new_uuid();
    const auto table = proxy.routes_.current();
    const auto app = app_for_host(req[http::field::host], proxy.options_.domain);
    const auto route = app ? table->find(*app) : table->end();
    Response res;
    Forwarded f;
    if (route == table->end()) {
      res = page(404, no_such_app_page(), req.version());
    } else {
      if (route->second.maintenance) {
        f.error = &kMaintenance;
      } else if (route->second.backends.empty()) {
        f.error = &kNoWebDynos;
      } else {
        req.set("X-Request-Id", request_id);
        const std::string prior(req["X-Forwarded-For"]);
        req.set("X-Forwarded-For", prior.empty() ? client_ip : prior + ", " + client_ip);
        req.set("X-Forwarded-Proto", "http");
        req.set("X-Forwarded-Port", std::to_string(proxy.listen_port_));
        req.set(http::field::via, "1.1 slipway");
        if (!req[http::field::upgrade].empty()) {
          co_await tunnel(req, route->second, request_id, start, buffer);
          co_return;
        }
        req.keep_alive(true);
        f = co_await forward(req, route->second);
      }
      if (f.error) {
        res = page(f.error->status, error_page(*f.error), req.version());
      } else {
        res = std::move(f.response);
        res.version(req.version());  // the client's HTTP version, whatever the dyno spoke
      }
      res.set("X-Request-Id", request_id);
      log_line(route->second.app_id, req, request_id, f, ms_since(start), res.body().size());
    }
    res.keep_alive(keep_alive);
    res.prepare_payload();
    client.expires_after(proxy.options_.idle_timeout);
    co_await http::async_write(client, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  client.socket().shutdown(tcp::socket::shutdown_send, ec);
}

namespace {

// Copies bytes one way until either side fails or closes, then shuts both down (which ends the
// copy in the other direction too).
asio::awaitable<void> pump(beast::tcp_stream& from, beast::tcp_stream& to) {
  std::array<char, 16384> buffer{};
  beast::error_code ec;
  for (;;) {
    const std::size_t n = co_await from.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  from.socket().shutdown(tcp::socket::shutdown_both, ec);
  to.socket().shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

asio::awaitable<void> Proxy::Connection::tunnel(Request& req, const runtime::AppRoute& route,
                                                const std::string& request_id,
                                                Clock::time_point start,
                                                beast::flat_buffer& client_buffer) {
  Forwarded f;
  beast::error_code ec;
  const auto& [dyno, port] =
      route.backends[proxy.round_robin_.fetch_add(1) % route.backends.size()];
  f.dyno = dyno;
  beast::tcp_stream upstream(client.get_executor());
  upstream.expires_after(proxy.options_.connect_timeout);
  co_await upstream.async_connect(
      tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)),
      asio::redirect_error(asio::use_awaitable, ec));
  f.connect_ms = ms_since(start);
  beast::flat_buffer upstream_buffer;
  http::response_parser<http::empty_body> parser;
  if (!ec) {
    upstream.expires_after(proxy.options_.first_byte_timeout);
    co_await http::async_write(upstream, req, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!ec) {
    co_await http::async_read_header(upstream, upstream_buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) f.error = &kRequestTimeout;
  }
  if (ec || parser.get().result() != http::status::switching_protocols) {
    // A failure, or a dyno that refused the upgrade: answer with an error page (the refusal's
    // own body is not relayed) and close.
    if (!f.error) f.error = &kClosedWithoutResponse;
    Response res = page(f.error->status, error_page(*f.error), req.version());
    res.keep_alive(false);
    log_line(route.app_id, req, request_id, f, ms_since(start), res.body().size());
    co_await http::async_write(client, res, asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  auto& switching = parser.get();
  switching.set("X-Request-Id", request_id);
  http::response_serializer<http::empty_body> serializer(switching);
  co_await http::async_write_header(client, serializer,
                                    asio::redirect_error(asio::use_awaitable, ec));
  f.response.result(http::status::switching_protocols);
  log_line(route.app_id, req, request_id, f, ms_since(start), 0);
  if (ec) co_return;
  // Bytes each side sent early (already buffered) go first.
  if (client_buffer.size() > 0) {
    co_await asio::async_write(upstream, client_buffer.data(),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!ec && upstream_buffer.size() > 0) {
    co_await asio::async_write(client, upstream_buffer.data(),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) co_return;
  client.expires_never();
  upstream.expires_never();
  // One direction runs as its own coroutine; this one waits for it before `upstream` goes away.
  auto finished = std::make_shared<bool>(false);
  auto done = std::make_shared<asio::steady_timer>(client.get_executor(),
                                                   asio::steady_timer::time_point::max());
  asio::co_spawn(
      client.get_executor(),
      [&, finished, done]() -> asio::awaitable<void> {
        co_await pump(client, upstream);
        *finished = true;
        done->cancel();
      },
      asio::detached);
  co_await pump(upstream, client);
  if (!*finished) co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

Proxy::Proxy(ProxyOptions options, const RouteTable& routes)
    : options_(std::move(options)), routes_(routes), acceptor_(io_) {}

Proxy::~Proxy() { stop(); }

Result<tcp::endpoint> Proxy::listen(const std::string& host, unsigned short port) {
  auto bound = listen_on(acceptor_, host, port);
  if (bound) listen_port_ = bound->port();
  return bound;
}

asio::awaitable<void> Proxy::accept_loop() {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    std::string ip = socket.remote_endpoint(ec).address().to_string();
    auto connection = std::make_shared<Connection>(
        Connection{*this, beast::tcp_stream(std::move(socket)), std::move(ip), {}});
    asio::co_spawn(executor, serve_connection(connection), asio::detached);
  }
}

asio::awaitable<void> Proxy::serve_connection(std::shared_ptr<Connection> connection) {
  co_await connection->serve();
}

void Proxy::start(std::size_t threads) {
  asio::co_spawn(io_, accept_loop(), asio::detached);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

void Proxy::stop() {
  if (threads_.empty()) return;
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace slipway::router

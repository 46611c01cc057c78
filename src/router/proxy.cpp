#include "router/proxy.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cctype>

#include "common/tcp_listen.h"
#include "logs/app_log.h"
#include "router/host_routing.h"
#include "router/proxy_connection.h"
#include "router/request_ids.h"

namespace slipway::router {
namespace {

using asio::ip::tcp;

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

// Whether a request for this route can go to a dyno (else it is answered with an error page).
bool can_serve(const Table& table, Table::const_iterator route) {
  return route != table.end() && !route->second.maintenance && !route->second.backends.empty();
}

}  // namespace

void Proxy::Connection::log_line(const std::string& app_id, const RequestHead& req,
                                 const Exchange& x) const {
  std::string line;
  line.reserve(512);
  if (x.error) {
    line.append("at=error code=").append(x.error->code).append(" desc=\"");
    line.append(x.error->description).append("\" ");
  } else {
    line.append("at=info ");
  }
  line.append("method=").append(req.method_string());
  line.append(" path=").append(log_quoted(req.target()));
  line.append(" host=").append(req[http::field::host]);
  line.append(" request_id=").append(x.request_id);
  line.append(" fwd=").append(log_quoted(client_ip));
  line.append(" dyno=").append(x.dyno);
  line.append(" connect=").append(std::to_string(x.connect_ms));
  line.append("ms service=").append(std::to_string(ms_since(x.start)));
  line.append("ms status=").append(std::to_string(x.status));
  line.append(" bytes=").append(std::to_string(x.bytes));
  line.append(" protocol=http");
  logs::append_line(proxy.options_.data_dir, app_id, "heroku", "router", line);
}

asio::awaitable<void> Proxy::Connection::answer(const RequestHead& req, unsigned status,
                                                std::string body, Exchange& x) {
  http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
  res.set(http::field::server, "slipway-router");
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::cache_control, "no-cache, no-store");
  if (!x.request_id.empty()) res.set("X-Request-Id", x.request_id);
  res.body() = std::move(body);
  res.keep_alive(x.reusable);
  res.prepare_payload();
  x.status = status;
  x.bytes = res.body().size();
  beast::error_code ec;
  client.expires_after(proxy.options_.idle_timeout);
  co_await http::async_write(client, res, on_error(ec));
  if (ec) x.reusable = false;
}

asio::awaitable<void> Proxy::Connection::serve() {
  beast::error_code ec;
  for (;;) {
    RequestParser parser;
    parser.header_limit(32 * 1024);
    // Bodies stream through, so their size is the dyno's business (Beast treats boost::none as
    // a limit of zero, hence the explicit maximum).
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    client.expires_after(proxy.options_.idle_timeout);
    co_await http::async_read_header(client, client_buffer, parser, on_error(ec));
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::eof && ec != asio::error::connection_reset) {
        Exchange bad;
        bad.reusable = false;
        co_await answer(RequestHead{}, 400, "Bad Request\n", bad);
      }
      break;
    }
    auto& req = parser.get();
    Exchange x;
    const auto sent_id = req["X-Request-Id"];
    x.request_id = is_request_id(sent_id) ? std::string(sent_id) : new_request_id();
    // A request whose body the router does not read cannot be followed by another.
    x.reusable = req.keep_alive();
    const auto app = app_for_host(req[http::field::host], proxy.options_.domain);
    auto table = proxy.routes_.current();
    auto route = app ? table->find(*app) : table->end();
    if (app && !can_serve(*table, route)) {
      // Nowhere to go in the table in hand: the file may have moved on within the watcher's
      // tick (a dyno that just came up), so look once more at its latest version.
      table = proxy.routes_.refreshed();
      route = table->find(*app);
    }
    if (route == table->end()) {
      x.reusable = x.reusable && parser.is_done();
      co_await answer(req, 404, no_such_app_page(), x);
      if (!x.reusable) break;
      continue;
    }
    const runtime::AppRoute& app_route = route->second;
    if (app_route.maintenance) {
      x.error = &kMaintenance;
    } else if (app_route.backends.empty()) {
      x.error = &kNoWebDynos;
    } else {
      req.set("X-Request-Id", x.request_id);
      const std::string prior(req["X-Forwarded-For"]);
      req.set("X-Forwarded-For", prior.empty() ? client_ip : prior + ", " + client_ip);
      req.set("X-Forwarded-Proto", "http");
      req.set("X-Forwarded-Port", proxy.listen_port_);
      req.set(http::field::via, "1.1 slipway");
      if (!req[http::field::upgrade].empty()) {
        co_await tunnel(req, app_route, x);
        co_return;
      }
      co_await forward(parser, app_route, x);
    }
    if (x.error && x.error != &kClientInterrupted) {
      x.reusable = x.reusable && parser.is_done();
      co_await answer(req, x.error->status, error_page(*x.error), x);
    }
    if (x.error == &kClientInterrupted) x.status = kClientInterrupted.status;
    log_line(app_route.app_id, req, x);
    if (!x.reusable) break;
  }
  client.socket().shutdown(tcp::socket::shutdown_send, ec);
}

Proxy::Proxy(ProxyOptions options, RouteTable& routes)
    : options_(std::move(options)),
      routes_(routes),
      loops_([n = std::max<std::size_t>(1, options_.threads)] {
        std::vector<std::unique_ptr<asio::io_context>> loops;
        for (std::size_t i = 0; i < n; ++i) loops.push_back(std::make_unique<asio::io_context>(1));
        return loops;
      }()),
      acceptor_(*loops_.front()) {}

Proxy::~Proxy() { stop(); }

Result<tcp::endpoint> Proxy::listen(const std::string& host, unsigned short port) {
  auto bound = listen_on(acceptor_, host, port);
  if (bound) listen_port_ = std::to_string(bound->port());
  return bound;
}

asio::awaitable<void> Proxy::accept_loop() {
  std::size_t next = 0;
  for (;;) {
    beast::error_code ec;
    auto& loop = *loops_[next++ % loops_.size()];
    tcp::socket socket = co_await acceptor_.async_accept(loop, on_error(ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;
    socket.set_option(tcp::no_delay(true), ec);
    std::string ip = socket.remote_endpoint(ec).address().to_string();
    auto connection =
        std::make_shared<Connection>(*this, beast::tcp_stream(std::move(socket)), std::move(ip));
    asio::co_spawn(loop, serve_connection(connection), asio::detached);
  }
}

asio::awaitable<void> Proxy::serve_connection(std::shared_ptr<Connection> connection) {
  co_await connection->serve();
}

void Proxy::start() {
  asio::co_spawn(*loops_.front(), accept_loop(), asio::detached);
  for (auto& loop : loops_) {
    threads_.emplace_back([&loop] {
      auto guard = asio::make_work_guard(*loop);  // idle loops wait for connections
      loop->run();
    });
  }
}

void Proxy::stop() {
  if (threads_.empty()) return;
  for (auto& loop : loops_) loop->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace slipway::router

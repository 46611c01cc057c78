// WebSocket (and any other Upgrade) tunnels: the 101 goes back to the client, then bytes flow
// both ways untouched until either side closes.
#include "router/proxy_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

namespace slipway::router {
namespace {

using asio::ip::tcp;

// Copies bytes one way until either side fails or closes, then shuts both down (which ends the
// copy in the other direction too).
asio::awaitable<void> pump(beast::tcp_stream& from, beast::tcp_stream& to) {
  std::array<char, 16384> buffer{};
  beast::error_code ec;
  for (;;) {
    const std::size_t n = co_await from.async_read_some(asio::buffer(buffer), on_error(ec));
    if (ec) break;
    co_await asio::async_write(to, asio::buffer(buffer.data(), n), on_error(ec));
    if (ec) break;
  }
  from.socket().shutdown(tcp::socket::shutdown_both, ec);
  to.socket().shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

asio::awaitable<void> Proxy::Connection::tunnel(const RequestHead& req,
                                                const runtime::AppRoute& route, Exchange& x) {
  beast::error_code ec;
  const auto& [dyno, port] =
      route.backends[proxy.round_robin_.fetch_add(1) % route.backends.size()];
  x.dyno = dyno;
  x.reusable = false;
  beast::tcp_stream upstream(client.get_executor());
  upstream.expires_after(proxy.options_.connect_timeout);
  co_await upstream.async_connect(
      tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)),
      on_error(ec));
  x.connect_ms = ms_since(x.start);
  beast::flat_buffer upstream_buffer;
  http::response_parser<http::empty_body> parser;
  if (!ec) {
    http::request<http::empty_body> head{req};
    upstream.expires_after(proxy.options_.first_byte_timeout);
    co_await http::async_write(upstream, head, on_error(ec));
  }
  if (!ec) {
    co_await http::async_read_header(upstream, upstream_buffer, parser, on_error(ec));
    if (ec == beast::error::timeout) x.error = &kRequestTimeout;
  }
  if (ec || parser.get().result() != http::status::switching_protocols) {
    // A failure, or a dyno that refused the upgrade: answer with an error page (the refusal's
    // own body is not relayed) and close.
    if (!x.error) x.error = &kClosedWithoutResponse;
    co_await answer(req, x.error->status, error_page(*x.error), x);
    log_line(route.app_id, req, x);
    co_return;
  }
  auto& switching = parser.get();
  switching.set("X-Request-Id", x.request_id);
  http::response_serializer<http::empty_body> serializer(switching);
  co_await http::async_write_header(client, serializer, on_error(ec));
  x.status = 101;
  log_line(route.app_id, req, x);
  if (ec) co_return;
  // Bytes each side sent early (already buffered) go first.
  if (client_buffer.size() > 0) {
    co_await asio::async_write(upstream, client_buffer.data(), on_error(ec));
  }
  if (!ec && upstream_buffer.size() > 0) {
    co_await asio::async_write(client, upstream_buffer.data(), on_error(ec));
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
  if (!*finished) co_await done->async_wait(on_error(ec));
}

}  // namespace slipway::router

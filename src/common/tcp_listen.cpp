#include "common/tcp_listen.h"

namespace slipway {

namespace asio = boost::asio;

Result<asio::ip::tcp::endpoint> listen_on(asio::ip::tcp::acceptor& acceptor,
                                          const std::string& host, unsigned short port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return make_error(ErrorCode::kInvalidParams, "invalid listen address `" + host + "`");
  const asio::ip::tcp::endpoint endpoint{address, port};
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::kInternal, "cannot listen on " + host + ":" +
                                                std::to_string(port) + ": " + ec.message());
  }
  return acceptor.local_endpoint(ec);
}

}  // namespace slipway

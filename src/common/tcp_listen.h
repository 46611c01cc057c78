// Opening a listening TCP socket on HOST:PORT (port 0: any free port), shared by the API
// server and the router.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string>

#include "common/result.h"

namespace slipway {

// Opens, binds (SO_REUSEADDR) and listens; returns the bound endpoint.
Result<boost::asio::ip::tcp::endpoint> listen_on(boost::asio::ip::tcp::acceptor& acceptor,
                                                 const std::string& host, unsigned short port);

}  // namespace slipway

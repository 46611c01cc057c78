// A loopback HTTP/1.0 server on port 0 for tests: serves fixed bodies by path (404 otherwise),
// one connection at a time, on its own thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>

namespace slipway::build::testing {

class TinyHttpServer {
 public:
  // Without announce_length, bodies go without Content-Length (ended by closing).
  explicit TinyHttpServer(std::map<std::string, std::string> bodies, bool announce_length = true)
      : bodies_(std::move(bodies)), announce_length_(announce_length) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;
  ~TinyHttpServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int requests() const { return requests_; }

 private:
  void serve() {
    for (;;) {
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
      }
      const auto start = request.find(' ') + 1;
      const std::string path = request.substr(start, request.find(' ', start) - start);
      const auto found = bodies_.find(path);
      if (found != bodies_.end()) ++requests_;
      const std::string body = found != bodies_.end() ? found->second : "not found\n";
      const std::string head =
          std::string(found != bodies_.end() ? "HTTP/1.0 200 OK" : "HTTP/1.0 404 Not Found") +
          (announce_length_ ? "\r\nContent-Length: " + std::to_string(body.size()) : "") +
          "\r\nConnection: close\r\n\r\n";
      const std::string reply = head + body;
      std::size_t sent = 0;
      while (sent < reply.size()) {
        const ssize_t n = ::write(client, reply.data() + sent, reply.size() - sent);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      ::close(client);
    }
  }

  std::map<std::string, std::string> bodies_;
  bool announce_length_ = true;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace slipway::build::testing

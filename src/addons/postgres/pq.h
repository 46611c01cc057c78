// A small RAII layer over libpq: connection parameters as keyword/value pairs (never a string
// built from input), a connection with a connect timeout, statements with $n parameters, rows.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

struct pg_conn;

namespace slipway::addons::postgres {

// libpq keyword → value, in order (e.g. host, port, dbname, user, password, sslmode).
class ConnectParams {
 public:
  ConnectParams& set(std::string_view key, std::string value);
  std::string get(std::string_view key) const;  // "" when absent
  const std::vector<std::pair<std::string, std::string>>& values() const { return values_; }

  // A postgres:// URL carrying the same host, port, user, password, dbname and sslmode, every
  // part percent-encoded.
  std::string url() const;

  // Parses a libpq URL or keyword=value string (PQconninfoParse); only the keywords it sets.
  static Result<ConnectParams> parse(const std::string& conninfo);

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

using Row = std::vector<std::optional<std::string>>;

class Connection {
 public:
  // Connects (expand_dbname off: a dbname is a name, never parsed as a URL).
  static Result<Connection> open(const ConnectParams& params,
                                 std::chrono::seconds timeout = std::chrono::seconds(10));

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one statement with $1.. parameters (text format; nullopt is NULL). A failure's message
  // is the server's primary message, never the statement (which may hold a password verifier);
  // last_sqlstate() then tells "already exists" (42710, 42P04) from real failures.
  Result<std::vector<Row>> query(std::string_view sql,
                                 const std::vector<std::optional<std::string>>& params = {});
  // The SQLSTATE of the last failed query ("" if it succeeded or never reached the server).
  const std::string& last_sqlstate() const { return last_sqlstate_; }

  // COPY ... FROM STDIN, as one statement (a string holding several is refused by the
  // server): copy_begin starts it, copy_send passes COPY text, copy_end finishes it and returns
  // the server's verdict. With an `abort_message` copy_end fails the COPY instead, so nothing it
  // was sent is kept.
  Status copy_begin(std::string_view sql);
  Status copy_send(std::string_view data);
  Status copy_end(const char* abort_message = nullptr);

  // Identifier and literal quoting by the server's rules (PQescapeIdentifier/PQescapeLiteral),
  // for the statements that take no parameters (CREATE ROLE, CREATE DATABASE, GRANT ...).
  Result<std::string> identifier(std::string_view name);
  Result<std::string> literal(std::string_view value);

  // The SCRAM-SHA-256 verifier of `password` for `user`, computed here (PQencryptPasswordConn),
  // so the password itself never travels in a statement or reaches the server's log.
  Result<std::string> password_verifier(const std::string& user, const std::string& password);

  int server_version() const;  // e.g. 150013

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_ = nullptr;
  std::string last_sqlstate_;
};

// True when a server answers at `params` (PQping: running and accepting connections; no
// authentication is attempted).
bool server_accepts(const ConnectParams& params);

}  // namespace slipway::addons::postgres

#include "router/error_pages.h"

namespace slipway::router {
namespace {

std::string page(const std::string& title, const std::string& message) {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
         "</title><style>body{font-family:sans-serif;margin:10% auto;max-width:36em;color:#333}"
         "</style></head><body><h1>" +
         title + "</h1><p>" + message + "</p></body></html>\n";
}

}  // namespace

std::string error_page(const RouterError& error) {
  if (std::string(error.code) == "H80") {
    return page("Offline for Maintenance",
                "This app is in maintenance mode. Please check back soon.");
  }
  return page("Application Error",
              "An error occurred in the application and your page could not be served. If you "
              "are the application owner, check your logs for details (" +
                  std::string(error.code) + ").");
}

std::string no_such_app_page() {
  return page("No such app", "There is no app configured at that hostname.");
}

}  // namespace slipway::router

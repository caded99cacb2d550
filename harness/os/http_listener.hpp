// A minimal HTTP/1.1 server for one read-only page (the live metrics of a run): one thread that
// accepts one connection at a time, answers GET of its page with 200 and anything else with
// 404, and closes the connection (Connection: close). A client that does not send its request
// within a short timeout is dropped, so a stuck scraper cannot hold the page from others.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "harness/os/unique_fd.hpp"

namespace sh::os {

// Where to listen, as typed: "127.0.0.1:9464", "[::1]:9464", "localhost:9464", ":9464".
struct ListenAddress {
    std::string host;  // empty: every interface
    int port = 0;      // 0: the kernel picks one (port() tells which)

    std::string text() const;  // "host:port", IPv6 hosts in brackets
};

// Parses ADDR:PORT into `address`; returns why it is malformed, or an empty string.
std::string parse_listen_address(const std::string& text, ListenAddress& address);

struct HttpPage {
    std::string path;  // "/metrics"; a query string after it is ignored
    std::string content_type;
    std::function<std::string()> body;  // called on the listener's thread, once per GET
};

class HttpListener {
  public:
    // Binds and listens before it returns, then serves on its own thread. Throws
    // WorkloadError when the host does not resolve, EnvironmentError (naming the address and
    // the reason) when it cannot be bound.
    HttpListener(const ListenAddress& address, HttpPage page);
    ~HttpListener();  // stops serving and joins the thread
    HttpListener(const HttpListener&) = delete;
    HttpListener& operator=(const HttpListener&) = delete;

    // The bound address: the port is the kernel's choice when 0 was asked for.
    const ListenAddress& bound() const { return bound_; }

  private:
    void serve();
    void answer(UniqueFd client);

    HttpPage page_;
    ListenAddress bound_;
    UniqueFd listener_;
    UniqueFd stop_;  // eventfd, readable once the listener stops: every poll watches it
    std::thread thread_;
};

}  // namespace sh::os

// The bytes under a Connection: a TCP or unix socket, for rediss:// wrapped in an OpenSSL TLS
// session. Debian's hiredis 0.14 has no TLS, so the socket is ours and hiredis only encodes and
// decodes RESP (DESIGN "TLS and the connection layer"). Plain and TLS share this one path; every
// wait is a poll with a timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "harness/redis/url.hpp"

struct ssl_st;
struct ssl_ctx_st;

namespace sh::redis {

// An I/O failure with its message ready for the user: "Connection refused", "timed out after
// 500 ms", "TLS handshake failed: certificate verify failed: ...". The transport is unusable
// afterwards.
class TransportError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Transport {
  public:
    // Connects within `timeout`: the socket, then the TLS handshake when endpoint.tls.enabled.
    static Transport connect(const Endpoint& endpoint, std::chrono::milliseconds timeout);

    Transport(Transport&&) noexcept;
    Transport& operator=(Transport&&) noexcept;
    ~Transport();

    // Sends every byte; `timeout` bounds each wait for the socket to take more.
    void send_all(std::string_view bytes, std::chrono::milliseconds timeout);
    // Reads at least one byte into buffer (at most size), waiting up to `timeout` for them.
    std::size_t receive(char* buffer, std::size_t size, std::chrono::milliseconds timeout);

  private:
    class Socket {
      public:
        explicit Socket(int fd) : fd_(fd) {}
        Socket(Socket&& other) noexcept;
        Socket& operator=(Socket&& other) noexcept;
        ~Socket();
        int fd() const { return fd_; }

      private:
        int fd_ = -1;
    };
    struct SslContextDeleter {
        void operator()(ssl_ctx_st* context) const;
    };
    struct SslDeleter {
        void operator()(ssl_st* ssl) const;
    };

    explicit Transport(Socket socket) : socket_(std::move(socket)) {}
    static Socket open_socket(const Endpoint& endpoint,
                              std::chrono::steady_clock::time_point deadline,
                              std::chrono::milliseconds timeout);
    void handshake(const Endpoint& endpoint, std::chrono::steady_clock::time_point deadline,
                   std::chrono::milliseconds timeout);
    // Waits while OpenSSL wants the socket readable or writable; throws on any other outcome.
    void wait_for_tls(int result, const char* doing, std::chrono::milliseconds timeout);
    [[noreturn]] void fail(const std::string& message);

    Socket socket_;
    std::unique_ptr<ssl_ctx_st, SslContextDeleter> context_;
    std::unique_ptr<ssl_st, SslDeleter> ssl_;  // null for plain TCP and unix sockets
    bool healthy_ = true;                      // no I/O error yet: a close_notify may be sent
};

}  // namespace sh::redis

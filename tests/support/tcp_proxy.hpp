// A real TCP proxy between the harness and a real redis-server, for tests that need a reply lost
// on the wire: Redis executes a producer's XADDs, but the connection breaks before their replies
// reach the producer, so the order's outcome is truly indeterminate. It only forwards bytes or
// closes sockets; it owns its listening socket, one thread per accepted connection and both
// sockets of every connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sh::testing {

struct TcpProxyState;  // what the connection threads share with the proxy (tcp_proxy.cpp)

class TcpProxy {
  public:
    // Listens on a free 127.0.0.1 port and forwards every accepted connection to a new
    // connection to target_host:target_port, both ways, until either side closes. Throws
    // EnvironmentError when it cannot resolve the target or listen.
    TcpProxy(const std::string& target_host, int target_port);
    // Closes every socket and joins every thread, promptly even while connections are open.
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    int port() const { return port_; }
    std::string url() const;  // redis://127.0.0.1:<port>

    // Arms the proxy for the next `times` client chunks (one read from a client socket, at most
    // 64 KiB) that complete at least one XADD command, on any connection; replaces an earlier
    // arming, 0 disarms. Such a chunk goes to Redis; the proxy forwards the replies owed before
    // it, reads the replies to every command the chunk completes without forwarding them, then
    // closes both sides of that connection. What the client sends after that chunk never
    // reaches Redis. Chunks without XADD, and everything once the count is used up, pass
    // through untouched.
    void swallow_xadd_replies(int times);
    // The `orderno` field of every XADD whose reply was swallowed, in the order they were sent
    // (an XADD without a numeric orderno is swallowed but adds nothing here).
    std::vector<std::uint64_t> swallowed_ordernos() const;
    int swallowed_chunks() const;
    int connections_accepted() const;

  private:
    std::unique_ptr<TcpProxyState> state_;
    int port_ = 0;
    std::thread acceptor_;
};

}  // namespace sh::testing

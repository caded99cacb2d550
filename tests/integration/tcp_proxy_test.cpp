// The test TCP proxy against a real redis-server: bytes pass through untouched, and an armed
// proxy lets Redis execute XADDs while their replies never reach the client.
#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/errors.hpp"
#include "harness/redis/streams.hpp"
#include "tests/support/redis_fixture.hpp"

using sh::RedisIoError;
using sh::redis::Connection;
using sh::redis::ReplyView;
using Proxy = sh::testing::TcpProxy;
using Clock = std::chrono::steady_clock;

class TcpProxy : public sh::testing::RedisTest {
  protected:
    static Connection connect_through(const Proxy& proxy, std::chrono::milliseconds timeout) {
        sh::redis::ConnectionOptions options;
        options.command_timeout = timeout;
        return Connection(sh::redis::parse_url(proxy.url()), options);
    }

    // The orderno of every entry of a stream, read from the real server.
    static std::vector<std::uint64_t> ordernos_in(const std::string& key) {
        auto direct = connect();
        auto reply = direct.command({"XRANGE", key, "-", "+"});
        std::vector<std::uint64_t> ordernos;
        for (const auto& entry : sh::redis::parse_entries(ReplyView(reply.get()))) {
            const auto* orderno = sh::redis::find_field(entry.fields, "orderno");
            ordernos.push_back(orderno ? std::stoull(*orderno) : 0);
        }
        return ordernos;
    }
};

namespace {

// A client socket that writes exactly the bytes it is given, in the pieces it is given, so a
// test decides where the proxy's reads end (hiredis writes a whole pipeline at once).
class RawClient {
  public:
    explicit RawClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        connected_ =
            fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~RawClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return connected_; }
    bool send(const std::string& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(bytes.size());
    }
    // Everything the peer sends until it closes; closed() says whether it did within timeout.
    std::string read_until_closed(std::chrono::milliseconds timeout) {
        std::string received;
        auto deadline = Clock::now() + timeout;
        char buffer[4096];
        while (Clock::now() < deadline) {
            pollfd fd{fd_, POLLIN, 0};
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (::poll(&fd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) <= 0) {
                continue;
            }
            auto count = ::read(fd_, buffer, sizeof(buffer));
            if (count <= 0) {
                closed_ = true;
                break;
            }
            received.append(buffer, static_cast<std::size_t>(count));
        }
        return received;
    }
    bool closed() const { return closed_; }

  private:
    int fd_;
    bool connected_ = false;
    bool closed_ = false;
};

std::string resp(const std::vector<std::string>& args) {
    std::string encoded = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& arg : args) {
        encoded += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    }
    return encoded;
}

}  // namespace

TEST_F(TcpProxy, PlainCommandsPassThrough) {
    Proxy proxy("127.0.0.1", server().port());
    auto connection = connect_through(proxy, std::chrono::milliseconds(5000));
    connection.command({"SET", "proxy:plain", "through"});
    EXPECT_EQ(text(connection, {"GET", "proxy:plain"}), "through");

    // Bigger than one read of the proxy in both directions.
    std::string big(3 * 1024 * 1024 + 7, 'x');
    connection.command({"SET", "proxy:big", big});
    EXPECT_EQ(text(connection, {"GET", "proxy:big"}), big);

    for (int i = 0; i < 50; ++i) connection.append({"INCR", "proxy:counter"});
    for (int i = 0; i < 50; ++i) connection.read_reply();
    auto direct = connect();
    EXPECT_EQ(text(direct, {"GET", "proxy:plain"}), "through");
    EXPECT_EQ(integer(direct, {"GET", "proxy:counter"}), 50);
    EXPECT_EQ(proxy.connections_accepted(), 1);
    EXPECT_EQ(proxy.swallowed_chunks(), 0);
    direct.command({"DEL", "proxy:plain", "proxy:big", "proxy:counter"});
}

TEST_F(TcpProxy, SwallowedXaddBatchRunsButItsRepliesNeverArrive) {
    auto direct = connect();
    direct.command({"DEL", "proxy:orders"});
    Proxy proxy("127.0.0.1", server().port());
    // A timeout far beyond the test's bound, so only a closed connection explains the error.
    auto producer = connect_through(proxy, std::chrono::milliseconds(30000));
    auto bystander = connect_through(proxy, std::chrono::milliseconds(5000));
    proxy.swallow_xadd_replies(1);

    // Connections that send no XADD pass through while the proxy is armed.
    bystander.command({"SET", "proxy:bystander", "ok"});
    EXPECT_EQ(text(bystander, {"GET", "proxy:bystander"}), "ok");
    EXPECT_EQ(proxy.swallowed_chunks(), 0);

    const std::vector<std::uint64_t> batch{101, 102, 103, 104};
    for (auto orderno : batch) {
        producer.append({"XADD", "proxy:orders", "*", "orderno", std::to_string(orderno), "user",
                         "u" + std::to_string(orderno), "amount", "5"});
    }
    auto started = Clock::now();
    try {
        producer.read_reply();
        FAIL() << "the swallowed batch must not get a reply";
    } catch (const RedisIoError& error) {
        EXPECT_EQ(std::string(error.what()).find("timed out"), std::string::npos) << error.what();
    }
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(3));
    EXPECT_TRUE(producer.broken());

    // Redis executed every XADD of the batch: the order is indeterminate, not lost.
    EXPECT_EQ(sh::redis::xlen(direct, "proxy:orders"), 4);
    EXPECT_EQ(ordernos_in("proxy:orders"), batch);
    EXPECT_EQ(proxy.swallowed_ordernos(), batch);
    EXPECT_EQ(proxy.swallowed_chunks(), 1);

    // The arming is used up: a reconnect through the proxy and further XADDs work as usual.
    producer.reconnect({});
    auto id = text(producer, {"XADD", "proxy:orders", "*", "orderno", "105"});
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(text(bystander, {"GET", "proxy:bystander"}), "ok");
    EXPECT_EQ(ordernos_in("proxy:orders"), (std::vector<std::uint64_t>{101, 102, 103, 104, 105}));
    EXPECT_EQ(proxy.swallowed_chunks(), 1);
    EXPECT_EQ(proxy.swallowed_ordernos(), batch);
    EXPECT_EQ(proxy.connections_accepted(), 3);
    direct.command({"DEL", "proxy:orders", "proxy:bystander"});
}

// Replies owed before the XADD chunk reach the client whole (nested arrays, nil bulk, nil
// array); the connection closes only once Redis has answered every command of the chunk, even
// one it holds back; an XADD cut across two reads counts in the read that completes it; the
// command name matches in any case; orderno is found after MAXLEN options and other fields.
TEST_F(TcpProxy, RepliesOwedBeforeTheXaddChunkArriveAndCommandsMaySpanReads) {
    auto direct = connect();
    direct.command({"DEL", "proxy:span", "proxy:empty", "proxy:missing"});
    direct.command({"XADD", "proxy:span", "1-1", "f", "v"});
    direct.command({"XADD", "proxy:span", "1-2", "f", "w"});
    Proxy proxy("127.0.0.1", server().port());
    proxy.swallow_xadd_replies(1);
    RawClient client(proxy.port());
    ASSERT_TRUE(client.connected());

    // BLPOP holds its reply (and Redis's reading of this client) back, so those three replies
    // are still owed when the XADD's reads arrive.
    ASSERT_TRUE(client.send(resp({"XRANGE", "proxy:span", "-", "+"}) +
                            resp({"GET", "proxy:missing"}) + resp({"BLPOP", "proxy:empty", "1"})));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto xadd = resp({"xadd", "proxy:span", "MAXLEN", "~", "1000", "*", "user", "u7", "orderno",
                      "77", "amount", "3"});
    ASSERT_TRUE(client.send(xadd.substr(0, xadd.size() / 2)));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    // Closing before the second BLPOP's reply would make Redis drop the blocked client and
    // never run the XADD after it.
    ASSERT_TRUE(client.send(xadd.substr(xadd.size() / 2) + resp({"BLPOP", "proxy:empty", "0.3"}) +
                            resp({"XADD", "proxy:span", "*", "orderno", "78"}) + resp({"PING"})));

    auto received = client.read_until_closed(std::chrono::milliseconds(5000));
    EXPECT_TRUE(client.closed());
    EXPECT_EQ(received,
              "*2\r\n"
              "*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
              "*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nf\r\n$1\r\nw\r\n"
              "$-1\r\n"
              "*-1\r\n");
    EXPECT_EQ(ordernos_in("proxy:span"), (std::vector<std::uint64_t>{0, 0, 77, 78}));
    EXPECT_EQ(proxy.swallowed_ordernos(), (std::vector<std::uint64_t>{77, 78}));
    EXPECT_EQ(proxy.swallowed_chunks(), 1);
    direct.command({"DEL", "proxy:span"});
}

TEST_F(TcpProxy, DestructorReturnsPromptlyWithConnectionsOpen) {
    auto direct = connect();
    direct.command({"DEL", "proxy:blocked", "proxy:wait"});
    auto proxy = std::make_unique<Proxy>("127.0.0.1", server().port());
    auto idle = connect_through(*proxy, std::chrono::milliseconds(5000));
    EXPECT_EQ(text(idle, {"PING"}), "PONG");
    RawClient silent(proxy->port());  // connected, never sends
    ASSERT_TRUE(silent.connected());
    // A swallow waiting for a reply that takes 10 s.
    proxy->swallow_xadd_replies(1);
    RawClient swallowed(proxy->port());
    ASSERT_TRUE(swallowed.send(resp({"XADD", "proxy:blocked", "*", "orderno", "1"}) +
                               resp({"BLPOP", "proxy:wait", "10"})));
    for (int i = 0; i < 200 && proxy->swallowed_chunks() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(proxy->swallowed_chunks(), 1);

    auto started = Clock::now();
    proxy.reset();
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(1));
    EXPECT_THROW(idle.command({"PING"}), RedisIoError);
    swallowed.read_until_closed(std::chrono::milliseconds(2000));
    EXPECT_TRUE(swallowed.closed());
    direct.command({"DEL", "proxy:blocked"});
}

// The live metrics' HTTP listener over real sockets on 127.0.0.1: what it answers, what it
// refuses, and that a silent client holds it neither from others nor from stopping.
#include "harness/os/http_listener.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>

#include "harness/errors.hpp"
#include "harness/os/net.hpp"
#include "tests/support/scrape.hpp"

using sh::os::HttpListener;
using sh::os::HttpPage;
using sh::os::ListenAddress;
using sh::testing::http_exchange;
using sh::testing::http_get;

namespace {

HttpPage counting_page(std::atomic<int>& calls) {
    return {"/metrics", "text/plain; version=0.0.4; charset=utf-8", [&calls] {
                return "# HELP x_total X.\n# TYPE x_total counter\nx_total " +
                       std::to_string(++calls) + "\n";
            }};
}

ListenAddress loopback(int port = 0) {
    return {"127.0.0.1", port};
}

}  // namespace

TEST(HttpListener, AnswersGetOfItsPageWithTheBodyItsTypeAndConnectionClose) {
    std::atomic<int> calls{0};
    HttpListener listener(loopback(), counting_page(calls));
    ASSERT_GT(listener.bound().port, 0) << "the kernel picked a port";
    EXPECT_EQ(listener.bound().host, "127.0.0.1");
    for (int i = 1; i <= 3; ++i) {
        auto reply = http_get(listener.bound().port, "/metrics");
        EXPECT_EQ(reply.status, 200);
        EXPECT_EQ(reply.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
        EXPECT_EQ(reply.headers["connection"], "close");
        EXPECT_EQ(reply.headers["content-length"], std::to_string(reply.body.size()));
        EXPECT_EQ(reply.body,
                  "# HELP x_total X.\n# TYPE x_total counter\nx_total " + std::to_string(i) + "\n");
    }
    // A query string (Prometheus may add one) names the same page.
    EXPECT_EQ(http_get(listener.bound().port, "/metrics?name[]=x_total").status, 200);
}

TEST(HttpListener, AnythingElseIsNotFoundAndAHeadHasNoBody) {
    std::atomic<int> calls{0};
    HttpListener listener(loopback(), counting_page(calls));
    auto port = listener.bound().port;
    EXPECT_EQ(http_get(port, "/").status, 404);
    EXPECT_EQ(http_get(port, "/metrics/x").status, 404);
    EXPECT_EQ(http_exchange(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").status,
              404);
    EXPECT_EQ(http_exchange(port, "nonsense\r\n\r\n").status, 400);
    auto head = http_exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(calls.load(), 1) << "only GET and HEAD of the page render it";
}

TEST(HttpListener, ASilentClientHoldsNeitherTheNextScrapeNorTheStop) {
    std::atomic<int> calls{0};
    auto listener = std::make_unique<HttpListener>(loopback(), counting_page(calls));
    auto port = listener->bound().port;
    // Connects and sends nothing, twice: the listener drops each after its read timeout.
    auto silent = [&] {
        sh::os::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        return fd;
    };
    auto first = silent();
    EXPECT_EQ(http_get(port, "/metrics").status, 200);
    auto second = silent();
    // Stops while the listener waits on the silent client: the thread is joined, not stuck.
    listener.reset();
    EXPECT_THROW(http_get(port, "/metrics"), std::runtime_error) << "nothing listens any more";
}

TEST(HttpListener, AnAddressInUseIsRefusedNamingItAndWhy) {
    std::atomic<int> calls{0};
    HttpListener first(loopback(), counting_page(calls));
    try {
        HttpListener second(loopback(first.bound().port), counting_page(calls));
        FAIL() << "a second listener on the same port";
    } catch (const sh::EnvironmentError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find("127.0.0.1:" + std::to_string(first.bound().port)),
                  std::string::npos)
            << message;
        EXPECT_NE(message.find("Address already in use"), std::string::npos) << message;
    }
}

TEST(HttpListener, ListensOnTheFreePortItIsGiven) {
    auto port = sh::os::free_loopback_port();
    std::atomic<int> calls{0};
    HttpListener listener(loopback(port), counting_page(calls));
    EXPECT_EQ(listener.bound().port, port);
    EXPECT_EQ(http_get(port, "/metrics").status, 200);
}

TEST(HttpListener, ListenAddressesParseOrSayWhyNot) {
    ListenAddress address;
    EXPECT_EQ(sh::os::parse_listen_address("127.0.0.1:9464", address), "");
    EXPECT_EQ(address.host, "127.0.0.1");
    EXPECT_EQ(address.port, 9464);
    EXPECT_EQ(sh::os::parse_listen_address(":9464", address), "");
    EXPECT_EQ(address.host, "");
    EXPECT_EQ(sh::os::parse_listen_address("[::1]:0", address), "");
    EXPECT_EQ(address.host, "::1");
    EXPECT_EQ(address.port, 0);
    EXPECT_EQ(address.text(), "[::1]:0");
    EXPECT_EQ(sh::os::parse_listen_address("localhost:80", address), "");
    for (const char* bad : {"9464", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:x1", "::1:9464",
                            "[::1:9464", "127.0.0.1:-1"}) {
        EXPECT_NE(sh::os::parse_listen_address(bad, address), "") << bad;
    }
}

#include "harness/os/http_listener.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "harness/errors.hpp"

namespace sh::os {

namespace {

constexpr std::size_t max_request_bytes = 8192;
// Long enough for any scraper on a loaded host; short enough that a silent client does not
// keep the next scrape waiting for long.
constexpr auto client_timeout = std::chrono::seconds(2);

using Clock = std::chrono::steady_clock;

std::string errno_text(int error) {
    return std::strerror(error);
}

// Waits until `fd` is ready for `events` or the stop eventfd fires or the deadline passes:
// true only in the first case.
bool wait_for(int fd, short events, int stop_fd, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
        int ready = ::poll(fds, 2, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0 || fds[1].revents != 0) return false;
        return true;
    }
}

std::string response(int status, const char* reason, const std::string& content_type,
                     const std::string& body, bool with_body) {
    std::string head =
        "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + content_type +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    return with_body ? head + body : head;
}

struct AddressInfoDeleter {
    void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

std::unique_ptr<addrinfo, AddressInfoDeleter> resolve(const ListenAddress& address) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    auto port = std::to_string(address.port);
    int error = getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(), port.c_str(),
                            &hints, &found);
    if (error != 0) {
        throw usage_error({"cannot listen on " + address.text() + ": " + gai_strerror(error)});
    }
    return std::unique_ptr<addrinfo, AddressInfoDeleter>(found);
}

ListenAddress address_of(const sockaddr_storage& storage) {
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage);
        inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
        return {text, ntohs(v6.sin6_port)};
    }
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(storage);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    return {text, ntohs(v4.sin_port)};
}

}  // namespace

std::string ListenAddress::text() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string parse_listen_address(const std::string& text, ListenAddress& address) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
        return "'" + text + "': expected ADDR:PORT, e.g. 127.0.0.1:9464";
    auto host = text.substr(0, colon);
    auto port = text.substr(colon + 1);
    if (!host.empty() && host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') return "'" + text + "': unclosed [IPv6 address]";
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        return "'" + text + "': an IPv6 address goes in brackets, e.g. [::1]:9464";
    }
    bool digits = !port.empty() && port.size() <= 5 &&
                  port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(port) > 65535) {
        return "'" + text + "': the port must be a number from 0 to 65535";
    }
    address.host = host == "*" ? std::string() : host;
    address.port = std::stoi(port);
    return {};
}

HttpListener::HttpListener(const ListenAddress& address, HttpPage page) : page_(std::move(page)) {
    auto found = resolve(address);
    int error = 0;
    for (const auto* candidate = found.get(); candidate != nullptr && !listener_;
         candidate = candidate->ai_next) {
        UniqueFd socket_fd(::socket(candidate->ai_family,
                                    candidate->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!socket_fd) {
            error = errno;
            continue;
        }
        // A restarted run may listen again at once, while the old connections wait in TIME_WAIT
        // (a port another process listens on still refuses the bind).
        int on = 1;
        setsockopt(socket_fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (::bind(socket_fd.get(), candidate->ai_addr, candidate->ai_addrlen) != 0 ||
            ::listen(socket_fd.get(), 16) != 0) {
            error = errno;
            continue;
        }
        listener_ = std::move(socket_fd);
    }
    if (!listener_) {
        throw EnvironmentError("cannot listen on " + address.text() + ": " + errno_text(error));
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &length);
    bound_ = address_of(bound);
    stop_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop_) throw EnvironmentError("eventfd: " + errno_text(errno));
    thread_ = std::thread([this] { serve(); });
}

HttpListener::~HttpListener() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(stop_.get(), &one, sizeof(one));
    thread_.join();
}

void HttpListener::serve() {
    for (;;) {
        pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[1].revents != 0) return;
        if ((fds[0].revents & POLLIN) == 0) continue;
        UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (client) {
            answer(std::move(client));
        } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // Out of descriptors: try again in a moment rather than spin.
            wait_for(-1, 0, stop_.get(), Clock::now() + std::chrono::milliseconds(100));
        }
    }
}

void HttpListener::answer(UniqueFd client) {
    auto deadline = Clock::now() + client_timeout;
    std::string request;
    char buffer[2048];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < max_request_bytes) {
        if (!wait_for(client.get(), POLLIN, stop_.get(), deadline)) return;
        auto got = ::recv(client.get(), buffer, sizeof(buffer), 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) return;
        request.append(buffer, static_cast<std::size_t>(got));
    }
    // "GET /metrics HTTP/1.1": the method, the target without its query, the version.
    auto line = request.substr(0, request.find("\r\n"));
    auto first_space = line.find(' ');
    auto second_space = line.find(' ', first_space + 1);
    std::string reply;
    if (first_space == std::string::npos || second_space == std::string::npos ||
        line.compare(second_space + 1, 5, "HTTP/") != 0) {
        reply = response(400, "Bad Request", "text/plain; charset=utf-8", "bad request\n", true);
    } else {
        auto method = line.substr(0, first_space);
        auto target = line.substr(first_space + 1, second_space - first_space - 1);
        auto path = target.substr(0, target.find('?'));
        bool head = method == "HEAD";
        if ((method == "GET" || head) && path == page_.path) {
            try {
                reply = response(200, "OK", page_.content_type, page_.body(), !head);
            } catch (const std::exception& error) {
                reply = response(500, "Internal Server Error", "text/plain; charset=utf-8",
                                 std::string(error.what()) + "\n", !head);
            }
        } else {
            reply = response(404, "Not Found", "text/plain; charset=utf-8",
                             "not found: try " + page_.path + "\n", !head);
        }
    }
    std::size_t sent = 0;
    while (sent < reply.size()) {
        if (!wait_for(client.get(), POLLOUT, stop_.get(), deadline)) return;
        auto wrote = ::send(client.get(), reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
        if (wrote < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (wrote <= 0) return;
        sent += static_cast<std::size_t>(wrote);
    }
    ::shutdown(client.get(), SHUT_WR);
}

}  // namespace sh::os

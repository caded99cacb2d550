#include "harness/redis/transport.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace sh::redis {

namespace {

using Clock = std::chrono::steady_clock;

std::string timed_out(std::chrono::milliseconds timeout) {
    return "timed out after " + std::to_string(timeout.count()) + " ms";
}

bool would_block(int error) {
    return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

// Waits until fd is ready for `events` (or reports an error, which the next call on it names);
// false when the deadline passed first. A signal does not cut the wait short.
bool wait_ready(int fd, short events, Clock::time_point deadline) {
    pollfd entry{fd, events, 0};
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        int ready = ::poll(&entry, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
        if (ready != 0) return ready > 0 || errno != EINTR;
        if (Clock::now() >= deadline) return false;
    }
}

int new_socket(int family) {
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw TransportError(std::string("socket: ") + std::strerror(errno));
    return fd;
}

// Connects a non-blocking socket before the deadline: "" on success, else why not.
std::string connect_before(int fd, const sockaddr* address, socklen_t length,
                           Clock::time_point deadline, std::chrono::milliseconds timeout) {
    if (::connect(fd, address, length) == 0) return {};
    if (errno != EINPROGRESS) return std::strerror(errno);
    if (!wait_ready(fd, POLLOUT, deadline)) return timed_out(timeout);
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
    return error == 0 ? std::string() : std::strerror(error);
}

bool is_ip_literal(const std::string& name) {
    in6_addr address{};
    return ::inet_pton(AF_INET, name.c_str(), &address) == 1 ||
           ::inet_pton(AF_INET6, name.c_str(), &address) == 1;
}

// The oldest error OpenSSL queued on this thread, as "error:<code>:<library>::<reason>".
std::string openssl_reason() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return {};
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

// Why an SSL call failed, for a user: a closed connection, a system error, the certificate
// check that failed, or OpenSSL's reason.
std::string tls_failure(SSL* ssl, int error, int saved_errno) {
    if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && saved_errno == 0)) {
        ERR_clear_error();
        return "Server closed the connection";
    }
    if (error == SSL_ERROR_SYSCALL) return std::strerror(saved_errno);
    // Without verification (--tls-insecure) OpenSSL still records a result: not the reason.
    if (long verify = SSL_get_verify_result(ssl);
        verify != X509_V_OK && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0) {
        ERR_clear_error();
        return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    }
    auto reason = openssl_reason();
    return reason.empty() ? "TLS error " + std::to_string(error) : reason;
}

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE (and so kills the process)
// on a connection the server has closed; this one sends with MSG_NOSIGNAL like the plain path.
int socket_of(BIO* bio) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
}

int bio_write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    auto sent = ::send(socket_of(bio), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (sent < 0 && would_block(errno)) BIO_set_retry_write(bio);
    return static_cast<int>(sent);
}

int bio_read(BIO* bio, char* data, int size) {
    BIO_clear_retry_flags(bio);
    auto received = ::recv(socket_of(bio), data, static_cast<std::size_t>(size), 0);
    if (received < 0 && would_block(errno)) BIO_set_retry_read(bio);
    return static_cast<int>(received);
}

long bio_ctrl(BIO*, int command, long, void*) {
    return command == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

const BIO_METHOD* no_sigpipe_socket_method() {
    static const std::unique_ptr<BIO_METHOD, decltype(&BIO_meth_free)> method = [] {
        std::unique_ptr<BIO_METHOD, decltype(&BIO_meth_free)> made(
            BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "no-SIGPIPE socket"),
            &BIO_meth_free);
        if (made) {
            BIO_meth_set_write(made.get(), bio_write);
            BIO_meth_set_read(made.get(), bio_read);
            BIO_meth_set_ctrl(made.get(), bio_ctrl);
        }
        return made;
    }();
    return method.get();
}

}  // namespace

Transport::Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Transport::Socket& Transport::Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Transport::Socket::~Socket() {
    if (fd_ >= 0) ::close(fd_);
}

void Transport::SslContextDeleter::operator()(SSL_CTX* context) const {
    SSL_CTX_free(context);
}

void Transport::SslDeleter::operator()(SSL* ssl) const {
    SSL_free(ssl);  // and the BIO it owns; the socket is Socket's
}

Transport::Transport(Transport&&) noexcept = default;
Transport& Transport::operator=(Transport&&) noexcept = default;

Transport::~Transport() {
    // close_notify tells the server the session ended on purpose; after a failure OpenSSL
    // forbids it. Non-blocking, so it never waits.
    if (ssl_ && healthy_) {
        SSL_shutdown(ssl_.get());
        ERR_clear_error();
    }
}

Transport Transport::connect(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    Transport transport(open_socket(endpoint, deadline, timeout));
    if (endpoint.tls.enabled) transport.handshake(endpoint, deadline, timeout);
    return transport;
}

void Transport::fail(const std::string& message) {
    healthy_ = false;
    throw TransportError(message);
}

void Transport::handshake(const Endpoint& endpoint, Clock::time_point deadline,
                          std::chrono::milliseconds timeout) {
    const auto& tls = endpoint.tls;
    context_.reset(SSL_CTX_new(TLS_client_method()));
    if (!context_) fail("TLS: cannot create a context: " + openssl_reason());
    auto* context = context_.get();
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    // A server that closes without close_notify (CLIENT KILL, a crash) has closed the
    // connection, as on plain TCP; it is not a protocol error.
    SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    int loaded = tls.ca_file.empty()
                     ? SSL_CTX_set_default_verify_paths(context)
                     : SSL_CTX_load_verify_locations(context, tls.ca_file.c_str(), nullptr);
    if (loaded != 1) {
        fail("TLS: cannot load CA certificates from " +
             (tls.ca_file.empty() ? std::string("the system store") : "'" + tls.ca_file + "'") +
             ": " + openssl_reason());
    }
    SSL_CTX_set_verify(context, tls.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (!tls.cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(context, tls.cert_file.c_str()) != 1) {
            fail("TLS: cannot load the client certificate '" + tls.cert_file +
                 "': " + openssl_reason());
        }
        if (SSL_CTX_use_PrivateKey_file(context, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(context) != 1) {
            fail("TLS: cannot use the client key '" + tls.key_file +
                 "' with its certificate: " + openssl_reason());
        }
    }
    ssl_.reset(SSL_new(context));
    BIO* bio = ssl_ ? BIO_new(no_sigpipe_socket_method()) : nullptr;
    if (bio == nullptr) fail("TLS: cannot create a session: " + openssl_reason());
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(socket_.fd())));
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_.get(), bio, bio);

    const auto& name = tls.name_for(endpoint.host);
    bool ip = is_ip_literal(name);
    if (!ip) SSL_set_tlsext_host_name(ssl_.get(), name.c_str());  // RFC 6066: SNI names no IPs
    if (tls.verify_peer && tls.check_hostname) {
        int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str())
                     : SSL_set1_host(ssl_.get(), name.c_str());
        if (set != 1) fail("TLS: cannot check the server's name '" + name + "'");
    }
    for (;;) {
        ERR_clear_error();
        int result = SSL_connect(ssl_.get());
        if (result == 1) return;
        int saved_errno = errno;
        int error = SSL_get_error(ssl_.get(), result);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
            fail("TLS handshake failed: " + tls_failure(ssl_.get(), error, saved_errno));
        }
        if (!wait_ready(socket_.fd(), error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
            fail("TLS handshake " + timed_out(timeout));
        }
    }
}

void Transport::wait_for_tls(int result, const char* doing, std::chrono::milliseconds timeout) {
    int saved_errno = errno;
    int error = SSL_get_error(ssl_.get(), result);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        auto failure = tls_failure(ssl_.get(), error, saved_errno);
        if (error == SSL_ERROR_SYSCALL) {
            // A server that refuses the session (no client certificate) sends an alert and
            // closes: a write can meet the reset before a read meets the alert saying why.
            char byte = 0;
            std::size_t received = 0;
            ERR_clear_error();
            int read = SSL_read_ex(ssl_.get(), &byte, 1, &received);
            if (read != 1 && SSL_get_error(ssl_.get(), read) == SSL_ERROR_SSL) {
                failure = tls_failure(ssl_.get(), SSL_ERROR_SSL, 0);
            }
        }
        fail(std::string(doing) + ": " + failure);
    }
    if (!wait_ready(socket_.fd(), error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                    Clock::now() + timeout)) {
        fail(timed_out(timeout));
    }
}

void Transport::send_all(std::string_view bytes, std::chrono::milliseconds timeout) {
    while (!bytes.empty()) {
        std::size_t sent = 0;
        if (ssl_) {
            ERR_clear_error();
            int result = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &sent);
            if (result != 1) wait_for_tls(result, "TLS write", timeout);
        } else if (auto result = ::send(socket_.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
                   result >= 0) {
            sent = static_cast<std::size_t>(result);
        } else if (!would_block(errno)) {
            fail(std::strerror(errno));
        } else if (!wait_ready(socket_.fd(), POLLOUT, Clock::now() + timeout)) {
            fail(timed_out(timeout));
        }
        bytes.remove_prefix(sent);
    }
}

std::size_t Transport::receive(char* buffer, std::size_t size, std::chrono::milliseconds timeout) {
    if (ssl_) {
        // OpenSSL may hold decrypted bytes the socket no longer shows: read before polling.
        for (;;) {
            ERR_clear_error();
            std::size_t received = 0;
            int result = SSL_read_ex(ssl_.get(), buffer, size, &received);
            if (result == 1) return received;
            wait_for_tls(result, "TLS read", timeout);
        }
    }
    // A reply is rarely there the moment its command left: poll first, then read what came.
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (!wait_ready(socket_.fd(), POLLIN, deadline)) fail(timed_out(timeout));
        auto received = ::recv(socket_.fd(), buffer, size, 0);
        if (received > 0) return static_cast<std::size_t>(received);
        if (received == 0) fail("Server closed the connection");
        if (!would_block(errno)) fail(std::strerror(errno));
    }
}

Transport::Socket Transport::open_socket(const Endpoint& endpoint, Clock::time_point deadline,
                                         std::chrono::milliseconds timeout) {
    if (!endpoint.unix_path.empty()) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (endpoint.unix_path.size() >= sizeof address.sun_path) {
            throw TransportError("unix socket path longer than " +
                                 std::to_string(sizeof address.sun_path - 1) + " bytes");
        }
        std::memcpy(address.sun_path, endpoint.unix_path.c_str(), endpoint.unix_path.size() + 1);
        Transport::Socket socket(new_socket(AF_UNIX));
        auto error = connect_before(socket.fd(), reinterpret_cast<const sockaddr*>(&address),
                                    sizeof address, deadline, timeout);
        if (!error.empty()) throw TransportError(error);
        return socket;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    auto port = std::to_string(endpoint.port);
    if (int error = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
        error != 0) {
        throw TransportError(::gai_strerror(error));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
    std::string error = "no address";
    for (auto* address = addresses.get(); address != nullptr; address = address->ai_next) {
        Transport::Socket socket(new_socket(address->ai_family));
        error =
            connect_before(socket.fd(), address->ai_addr, address->ai_addrlen, deadline, timeout);
        if (error.empty()) {
            // Pipelines go out in one send: waiting to coalesce them only adds latency.
            int on = 1;
            ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            return socket;
        }
    }
    throw TransportError(error);
}

}  // namespace sh::redis

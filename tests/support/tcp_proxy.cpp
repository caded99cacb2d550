#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "harness/errors.hpp"
#include "harness/os/unique_fd.hpp"

namespace sh::testing {

namespace {

using os::UniqueFd;

constexpr std::size_t kReadSize = 64 * 1024;
// A side is not read while this much waits for the other side: a peer that does not read holds
// its sender back (as TCP would) instead of growing the proxy's memory.
constexpr std::size_t kBufferLimit = 4 * 1024 * 1024;

[[noreturn]] void throw_errno(const std::string& what) {
    throw EnvironmentError("tcp proxy: " + what + ": " + std::strerror(errno));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

template <typename Integer>
bool parse_integer(std::string_view text, Integer& value) {
    auto end = text.data() + text.size();
    auto [ptr, error] = std::from_chars(text.data(), end, value);
    return error == std::errc() && ptr == end && !text.empty();
}

// One line of RESP starting at pos, without its line end; pos moves past the '\n'. Nothing when
// the line is not complete yet.
std::optional<std::string_view> take_line(std::string_view data, std::size_t& pos) {
    auto newline = data.find('\n', pos);
    if (newline == std::string_view::npos) return std::nullopt;
    auto line = data.substr(pos, newline - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = newline + 1;
    return line;
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] id field value ...: the
// value of the field named orderno, when there is one and it is a number.
std::optional<std::uint64_t> orderno_of(const std::vector<std::string_view>& args) {
    std::size_t i = 2;  // after XADD and the key
    while (i < args.size()) {
        if (equals_ignoring_case(args[i], "NOMKSTREAM")) {
            i += 1;
        } else if (equals_ignoring_case(args[i], "MAXLEN") ||
                   equals_ignoring_case(args[i], "MINID")) {
            i += 1;
            if (i < args.size() && (args[i] == "=" || args[i] == "~")) i += 1;
            i += 1;  // the threshold
        } else if (equals_ignoring_case(args[i], "LIMIT")) {
            i += 2;
        } else {
            break;  // the ID
        }
    }
    for (i += 1; i + 1 < args.size(); i += 2) {
        std::uint64_t value = 0;
        if (args[i] == "orderno" && parse_integer(args[i + 1], value)) return value;
    }
    return std::nullopt;
}

// What the commands one client chunk completes mean to the proxy.
struct ClientCommands {
    std::uint64_t commands = 0;  // each owes one reply
    bool has_xadd = false;
    std::vector<std::uint64_t> ordernos;
};

// Splits the client's bytes into commands (RESP multibulk, or inline as a terminal sends them).
// A command cut off at the end of a read stays buffered until the rest arrives.
class CommandParser {
  public:
    ClientCommands feed(std::string_view bytes) {
        ClientCommands result;
        if (broken_) return result;
        buffer_.append(bytes);
        std::size_t pos = 0;
        std::vector<std::string_view> args;
        while (pos < buffer_.size()) {
            args.clear();
            auto step = parse_one(pos, args);
            if (step == Step::incomplete) break;
            if (step == Step::invalid) {
                // Redis answers a protocol error and hangs up; the proxy just stops counting.
                broken_ = true;
                buffer_.clear();
                return result;
            }
            if (args.empty()) continue;  // Redis runs nothing for "*0" or a blank line
            ++result.commands;
            if (equals_ignoring_case(args[0], "XADD")) {
                result.has_xadd = true;
                if (auto orderno = orderno_of(args)) result.ordernos.push_back(*orderno);
            }
        }
        buffer_.erase(0, pos);
        return result;
    }
    bool broken() const { return broken_; }

  private:
    enum class Step { complete, incomplete, invalid };

    // Parses the command at pos; on complete, pos moves past it and args view buffer_.
    Step parse_one(std::size_t& pos, std::vector<std::string_view>& args) const {
        std::string_view data = buffer_;
        std::size_t at = pos;
        auto header = take_line(data, at);
        if (!header) return Step::incomplete;
        if (data[pos] != '*') {
            // Inline command: words separated by blanks (Redis also honours quotes; no test
            // needs them).
            std::size_t start = 0;
            while (start < header->size()) {
                auto end = header->find_first_of(" \t", start);
                if (end == std::string_view::npos) end = header->size();
                if (end > start) args.push_back(header->substr(start, end - start));
                start = end + 1;
            }
            pos = at;
            return Step::complete;
        }
        std::int64_t count = 0;
        if (!parse_integer(header->substr(1), count)) return Step::invalid;
        for (std::int64_t i = 0; i < count; ++i) {
            auto length_line = take_line(data, at);
            if (!length_line) return Step::incomplete;
            std::int64_t length = 0;
            if (length_line->empty() || (*length_line)[0] != '$' ||
                !parse_integer(length_line->substr(1), length) || length < 0) {
                return Step::invalid;
            }
            auto size = static_cast<std::size_t>(length);
            if (data.size() - at < size + 2) return Step::incomplete;
            args.push_back(data.substr(at, size));
            at += size + 2;
        }
        pos = at;
        return Step::complete;
    }

    std::string buffer_;
    bool broken_ = false;
};

// Counts the server's complete top-level replies as bytes stream by, without keeping them: a
// stack of the elements still expected by open arrays, and the bytes left of a bulk string.
// RESP2 only: hiredis 0.14 never sends HELLO 3.
class ReplyCounter {
  public:
    // Reads bytes until the replies() == stop_at or the bytes run out; returns how many it read,
    // so the caller can split a read at a reply boundary.
    std::size_t feed(std::string_view bytes, std::uint64_t stop_at) {
        std::size_t pos = 0;
        while (pos < bytes.size() && replies_ < stop_at && !broken_) {
            if (bulk_left_ > 0) {
                auto take = std::min<std::uint64_t>(bulk_left_, bytes.size() - pos);
                bulk_left_ -= take;
                pos += take;
                if (bulk_left_ == 0) element_done();
                continue;
            }
            auto newline = bytes.find('\n', pos);
            if (newline == std::string_view::npos) {
                line_.append(bytes.substr(pos));
                pos = bytes.size();
                break;
            }
            line_.append(bytes.substr(pos, newline + 1 - pos));
            pos = newline + 1;
            header(line_);
            line_.clear();
        }
        return pos;
    }
    std::uint64_t replies() const { return replies_; }
    bool broken() const { return broken_; }

  private:
    void header(std::string_view line) {
        if (line.size() < 3 || line.substr(line.size() - 2) != "\r\n") {
            broken_ = true;
            return;
        }
        auto body = line.substr(1, line.size() - 3);
        std::int64_t number = 0;
        switch (line[0]) {
            case '+':
            case '-':
            case ':':
                element_done();
                return;
            case '$':
                if (!parse_integer(body, number)) break;
                if (number < 0) {
                    element_done();  // nil bulk string
                } else {
                    bulk_left_ = static_cast<std::uint64_t>(number) + 2;  // payload and CRLF
                }
                return;
            case '*':
                if (!parse_integer(body, number)) break;
                if (number <= 0) {
                    element_done();  // nil or empty array
                } else {
                    open_.push_back(static_cast<std::uint64_t>(number));
                }
                return;
            default:
                break;
        }
        broken_ = true;
    }
    void element_done() {
        while (!open_.empty()) {
            if (--open_.back() > 0) return;
            open_.pop_back();  // that array is complete: one element of its parent
        }
        ++replies_;
    }

    std::string line_;  // a header line cut off by the end of a read
    std::uint64_t bulk_left_ = 0;
    std::vector<std::uint64_t> open_;
    std::uint64_t replies_ = 0;
    bool broken_ = false;
};

void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Writes as much of pending as the socket takes now; false when the peer is gone.
bool flush(int fd, std::string& pending) {
    while (!pending.empty()) {
        auto written = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
        if (written > 0) {
            pending.erase(0, static_cast<std::size_t>(written));
        } else if (written < 0 && errno == EINTR) {
            continue;
        } else {
            return written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        }
    }
    return true;
}

// Bytes read (> 0), 0 when the peer closed or failed, -1 when nothing is there yet.
ssize_t read_some(int fd, std::vector<char>& buffer) {
    for (;;) {
        auto count = ::read(fd, buffer.data(), buffer.size());
        if (count >= 0) return count;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : 0;
    }
}

}  // namespace

struct TcpProxyState {
    sockaddr_storage target{};
    socklen_t target_length = 0;
    UniqueFd listener;
    UniqueFd stop;  // eventfd, readable from the moment the proxy stops: every poll watches it
    std::atomic<int> connections_accepted{0};

    mutable std::mutex mutex;
    int swallows_armed = 0;                         // guarded by mutex
    int swallowed_chunks = 0;                       // guarded by mutex
    std::vector<std::uint64_t> swallowed_ordernos;  // guarded by mutex

    // Takes one armed swallow for a chunk with these XADD ordernos; false when none is armed.
    bool take_swallow(const std::vector<std::uint64_t>& ordernos) {
        std::lock_guard lock(mutex);
        if (swallows_armed == 0) return false;
        --swallows_armed;
        ++swallowed_chunks;
        swallowed_ordernos.insert(swallowed_ordernos.end(), ordernos.begin(), ordernos.end());
        return true;
    }
};

namespace {

// One accepted client and its connection to the target, served by one thread with poll over
// non-blocking sockets, so neither direction can block the other.
class Session {
  public:
    Session(TcpProxyState& state, UniqueFd client)
        : state_(state), client_(std::move(client)), read_buffer_(kReadSize) {}

    // Returns when either side has closed (after the other got what was already read for it)
    // or the proxy stops; the sockets close with the Session.
    void run() {
        if (!connect_to_target()) return;
        for (;;) {
            if (phase_ == Phase::draining && to_client_.empty() && to_server_.empty()) return;
            pollfd fds[3] = {{state_.stop.get(), POLLIN, 0},
                             {client_.get(), client_events(), 0},
                             {server_.get(), server_events(), 0}};
            if (::poll(fds, 3, -1) < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (fds[0].revents != 0) return;
            if (fds[1].revents != 0) on_client_ready(fds[1].revents);
            if (fds[2].revents != 0 && server_) on_server_ready(fds[2].revents);
        }
    }

  private:
    // forwarding: both ways. swallowing: a chunk with XADD went to Redis; replies owed before it
    // are forwarded, its own are read and dropped, the client's further bytes are dropped.
    // draining: one side is gone or the swallow is complete; what is left for the other side is
    // written, then both close.
    enum class Phase { forwarding, swallowing, draining };

    bool connect_to_target() {
        server_ = UniqueFd(
            ::socket(state_.target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!server_) return false;
        if (::connect(server_.get(), reinterpret_cast<const sockaddr*>(&state_.target),
                      state_.target_length) != 0) {
            if (errno != EINPROGRESS) return false;
            pollfd fds[2] = {{state_.stop.get(), POLLIN, 0}, {server_.get(), POLLOUT, 0}};
            while (::poll(fds, 2, -1) < 0) {
                if (errno != EINTR) return false;
            }
            if (fds[0].revents != 0) return false;
            int error = 0;
            socklen_t length = sizeof(error);
            if (::getsockopt(server_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 ||
                error != 0) {
                return false;
            }
        }
        // Small commands and replies go out at once, as they would without the proxy.
        set_nodelay(server_.get());
        set_nodelay(client_.get());
        return true;
    }

    short client_events() const {
        short events = 0;
        // Outside forwarding the client's bytes are read only to be dropped: closing a socket
        // with unread input sends a reset, which could cost the client replies it has not read.
        if (phase_ != Phase::forwarding || to_server_.size() < kBufferLimit) events |= POLLIN;
        if (!to_client_.empty()) events |= POLLOUT;
        return events;
    }

    short server_events() const {
        short events = 0;
        if (phase_ == Phase::swallowing ||
            (phase_ == Phase::forwarding && to_client_.size() < kBufferLimit)) {
            events |= POLLIN;
        }
        if (!to_server_.empty()) events |= POLLOUT;
        return events;
    }

    void on_client_ready(short revents) {
        if ((revents & (POLLOUT | POLLERR | POLLHUP)) && !to_client_.empty() &&
            !flush(client_.get(), to_client_)) {
            client_gone();
            return;
        }
        if (!(revents & (POLLIN | POLLERR | POLLHUP))) return;
        auto count = read_some(client_.get(), read_buffer_);
        if (count == 0) {
            client_gone();
        } else if (count > 0 && phase_ == Phase::forwarding) {
            on_client_chunk(std::string_view(read_buffer_.data(), static_cast<std::size_t>(count)));
        }
    }

    void on_server_ready(short revents) {
        if ((revents & (POLLOUT | POLLERR | POLLHUP)) && !to_server_.empty() &&
            !flush(server_.get(), to_server_)) {
            server_gone();
            return;
        }
        if (phase_ == Phase::draining || !(revents & (POLLIN | POLLERR | POLLHUP))) return;
        auto count = read_some(server_.get(), read_buffer_);
        if (count == 0) {
            server_gone();
        } else if (count > 0) {
            on_server_chunk(std::string_view(read_buffer_.data(), static_cast<std::size_t>(count)));
        }
    }

    void on_client_chunk(std::string_view chunk) {
        auto commands = parser_.feed(chunk);
        if (commands.has_xadd && !parser_.broken() && !counter_.broken() &&
            state_.take_swallow(commands.ordernos)) {
            phase_ = Phase::swallowing;
            forward_until_ = commands_sent_;
            close_at_ = commands_sent_ + commands.commands;
        }
        commands_sent_ += commands.commands;
        to_server_.append(chunk);
    }

    void on_server_chunk(std::string_view chunk) {
        if (phase_ == Phase::forwarding) {
            counter_.feed(chunk, std::numeric_limits<std::uint64_t>::max());
            to_client_.append(chunk);
            return;
        }
        auto owed_before = counter_.feed(chunk, forward_until_);
        to_client_.append(chunk.substr(0, owed_before));
        counter_.feed(chunk.substr(owed_before), close_at_);
        if (counter_.replies() >= close_at_ || counter_.broken()) {
            // Every reply of the chunk has been read, so the server side closes cleanly (a
            // socket closed with unread input resets the connection instead).
            server_.reset();
            to_server_.clear();
            phase_ = Phase::draining;
        }
    }

    void client_gone() {
        client_.reset();
        to_client_.clear();
        // While swallowing, the replies are still read to the end: the XADDs must have run.
        if (phase_ == Phase::forwarding) phase_ = Phase::draining;
    }

    void server_gone() {
        server_.reset();
        to_server_.clear();
        phase_ = Phase::draining;
    }

    TcpProxyState& state_;
    UniqueFd client_;
    UniqueFd server_;
    std::vector<char> read_buffer_;
    std::string to_client_;
    std::string to_server_;
    CommandParser parser_;
    ReplyCounter counter_;
    Phase phase_ = Phase::forwarding;
    std::uint64_t commands_sent_ = 0;  // complete commands forwarded, each owing a reply
    std::uint64_t forward_until_ = 0;  // while swallowing: replies up to this one are forwarded
    std::uint64_t close_at_ = 0;       // while swallowing: the connection closes at this reply
};

// Accepts connections until the proxy stops, each served by its own thread; joins them all.
void accept_connections(TcpProxyState& state) {
    struct Worker {
        std::thread thread;
        std::atomic<bool> finished{false};
    };
    std::list<Worker> workers;
    for (;;) {
        for (auto it = workers.begin(); it != workers.end();) {
            if (it->finished.load(std::memory_order_acquire)) {
                it->thread.join();
                it = workers.erase(it);
            } else {
                ++it;
            }
        }
        pollfd fds[2] = {{state.stop.get(), POLLIN, 0}, {state.listener.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents != 0) break;
        UniqueFd client(
            ::accept4(state.listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!client) {
            // Out of descriptors or memory: the listener stays readable, so do not spin.
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            continue;
        }
        state.connections_accepted.fetch_add(1);
        try {
            auto& worker = workers.emplace_back();
            worker.thread = std::thread([&state, &worker, client = std::move(client)]() mutable {
                try {
                    Session(state, std::move(client)).run();
                } catch (...) {
                    // Out of memory in a test proxy: the connection just closes.
                }
                worker.finished.store(true, std::memory_order_release);
            });
        } catch (const std::exception&) {
            // No thread: the client's socket closed with the lambda that could not run.
            if (!workers.empty() && !workers.back().thread.joinable()) workers.pop_back();
        }
    }
    for (auto& worker : workers) worker.thread.join();
}

}  // namespace

TcpProxy::TcpProxy(const std::string& target_host, int target_port)
    : state_(std::make_unique<TcpProxyState>()) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int resolved =
        ::getaddrinfo(target_host.c_str(), std::to_string(target_port).c_str(), &hints, &found);
    if (resolved != 0 || found == nullptr) {
        throw EnvironmentError("tcp proxy: cannot resolve " + target_host + ": " +
                               ::gai_strerror(resolved));
    }
    std::memcpy(&state_->target, found->ai_addr, found->ai_addrlen);
    state_->target_length = found->ai_addrlen;
    ::freeaddrinfo(found);

    state_->listener = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!state_->listener) throw_errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;  // the kernel picks a free port, read back below
    socklen_t length = sizeof(address);
    if (::bind(state_->listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
            0 ||
        ::listen(state_->listener.get(), SOMAXCONN) != 0 ||
        ::getsockname(state_->listener.get(), reinterpret_cast<sockaddr*>(&address), &length) !=
            0) {
        throw_errno("listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);

    state_->stop = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!state_->stop) throw_errno("eventfd");
    acceptor_ = std::thread([state = state_.get()] { accept_connections(*state); });
}

TcpProxy::~TcpProxy() {
    std::uint64_t one = 1;
    // The counter never overflows with one write, so this cannot fail on a valid eventfd.
    [[maybe_unused]] auto written = ::write(state_->stop.get(), &one, sizeof(one));
    acceptor_.join();
}

std::string TcpProxy::url() const {
    return "redis://127.0.0.1:" + std::to_string(port_);
}

void TcpProxy::swallow_xadd_replies(int times) {
    std::lock_guard lock(state_->mutex);
    state_->swallows_armed = std::max(times, 0);
}

std::vector<std::uint64_t> TcpProxy::swallowed_ordernos() const {
    std::lock_guard lock(state_->mutex);
    return state_->swallowed_ordernos;
}

int TcpProxy::swallowed_chunks() const {
    std::lock_guard lock(state_->mutex);
    return state_->swallowed_chunks;
}

int TcpProxy::connections_accepted() const {
    return state_->connections_accepted.load();
}

}  // namespace sh::testing

#include "tests/support/scrape.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "harness/os/unique_fd.hpp"

namespace sh::testing {

namespace {

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

HttpReply parse_reply(const std::string& raw) {
    auto head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) {
        throw std::runtime_error("not an HTTP/1.1 reply: '" + raw.substr(0, 80) + "'");
    }
    HttpReply reply;
    reply.status = std::stoi(raw.substr(9, 3));
    std::istringstream head(raw.substr(0, head_end));
    std::string line;
    std::getline(head, line);  // the status line
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        reply.headers[lower(line.substr(0, colon))] = value;
    }
    reply.body = raw.substr(head_end + 4);
    return reply;
}

// A float as Prometheus writes one: Go's ParseFloat syntax, which strtod reads too.
bool parse_value(const std::string& text, double& value) {
    if (text.empty()) return false;
    if (text == "NaN" || text == "+Inf" || text == "-Inf") {
        value = text == "NaN" ? std::nan("") : text == "+Inf" ? HUGE_VAL : -HUGE_VAL;
        return true;
    }
    char* end = nullptr;
    errno = 0;
    value = std::strtod(text.c_str(), &end);
    return errno == 0 && end == text.c_str() + text.size() &&
           text.find_first_of("xXnN") == std::string::npos;  // no hex, no nan/inf spellings
}

// `{a="x",b="y\"z"}`: label names valid, values escaped only with \\, \" and \n.
bool valid_labels(const std::string& text) {
    static const std::regex name("[a-zA-Z_][a-zA-Z0-9_]*");
    std::size_t at = 1;
    std::set<std::string> seen;
    while (at < text.size() - 1) {
        auto equals = text.find('=', at);
        if (equals == std::string::npos) return false;
        auto label = text.substr(at, equals - at);
        if (!std::regex_match(label, name) || !seen.insert(label).second) return false;
        if (equals + 1 >= text.size() || text[equals + 1] != '"') return false;
        auto i = equals + 2;
        for (; i < text.size() && text[i] != '"'; ++i) {
            if (text[i] != '\\') continue;
            if (++i >= text.size() || std::strchr("\\\"n", text[i]) == nullptr) return false;
        }
        if (i >= text.size()) return false;
        at = i + 1;
        if (at < text.size() - 1) {
            if (text[at] != ',') return false;
            ++at;
        }
    }
    return at == text.size() - 1;
}

}  // namespace

HttpReply http_exchange(int port, const std::string& request) {
    os::UniqueFd socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket_fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    timeval timeout{10, 0};
    setsockopt(socket_fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(socket_fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        throw std::runtime_error("connect 127.0.0.1:" + std::to_string(port) + ": " +
                                 std::strerror(errno));
    }
    if (::send(socket_fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    std::string raw;
    char buffer[4096];
    for (;;) {
        auto got = ::recv(socket_fd.get(), buffer, sizeof(buffer), 0);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
        if (got == 0) break;
        raw.append(buffer, static_cast<std::size_t>(got));
    }
    return parse_reply(raw);
}

HttpReply http_get(int port, const std::string& path) {
    return http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                                   std::to_string(port) + "\r\nAccept: text/plain\r\n\r\n");
}

Exposition parse_exposition(const std::string& text) {
    static const std::regex metric_name("[a-zA-Z_:][a-zA-Z0-9_:]*");
    static const std::regex sample_line(R"(([^{ ]+)(\{.*\})? (\S+))");
    Exposition exposition;
    std::set<std::string> helped;
    std::string family;  // the family whose samples may follow
    std::istringstream lines(text);
    std::string line;
    auto problem = [&](const std::string& why) {
        exposition.problems.push_back(why + ": '" + line + "'");
    };
    if (!text.empty() && text.back() != '\n') exposition.problems.push_back("no final newline");
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        std::istringstream words(line);
        std::string hash, keyword, name;
        if (line[0] == '#') {
            words >> hash >> keyword >> name;
            if (keyword != "HELP" && keyword != "TYPE") continue;  // a plain comment
            if (!std::regex_match(name, metric_name)) problem("invalid metric name");
            if (keyword == "HELP") {
                if (!helped.insert(name).second) problem("second HELP");
            } else {
                std::string type;
                words >> type;
                static const std::set<std::string> types{"counter", "gauge", "summary", "histogram",
                                                         "untyped"};
                if (types.count(type) == 0) problem("unknown type");
                if (!exposition.types.emplace(name, type).second) problem("second TYPE");
                if (helped.count(name) == 0) problem("TYPE before HELP");
                family = name;
            }
            continue;
        }
        std::smatch match;
        if (!std::regex_match(line, match, sample_line)) {
            problem("not `name{labels} value`");
            continue;
        }
        auto sample_name = match[1].str();
        double value = 0;
        if (!std::regex_match(sample_name, metric_name)) problem("invalid metric name");
        if (match[2].matched && !valid_labels(match[2].str())) problem("invalid labels");
        if (!parse_value(match[3].str(), value)) problem("not a float value");
        if (sample_name != family || helped.count(sample_name) == 0) {
            problem("sample without its family's HELP and TYPE just before");
        }
        auto series = sample_name + match[2].str();
        if (!exposition.samples.emplace(series, value).second) problem("series twice");
    }
    return exposition;
}

}  // namespace sh::testing

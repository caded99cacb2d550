#include "harness/redis/url.hpp"

#include <charconv>
#include <stdexcept>

namespace sh::redis {

namespace {

int parse_int(std::string_view text, int min, int max, const char* what) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
        throw std::invalid_argument(std::string("invalid ") + what + " '" + std::string(text) +
                                    "' (expected " + std::to_string(min) + ".." +
                                    std::to_string(max) + ")");
    }
    return value;
}

void parse_credentials(std::string_view userinfo, Endpoint& endpoint) {
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
        // redis://secret@host is the common legacy form: a lone word is the password.
        endpoint.password = std::string(userinfo);
        return;
    }
    endpoint.user = std::string(userinfo.substr(0, colon));
    endpoint.password = std::string(userinfo.substr(colon + 1));
}

Endpoint parse_unix(std::string_view rest) {
    Endpoint endpoint;
    auto query = rest.find('?');
    endpoint.unix_path = std::string(rest.substr(0, query));
    if (endpoint.unix_path.empty() || endpoint.unix_path.front() != '/') {
        throw std::invalid_argument("unix socket URL needs an absolute path: unix:///path");
    }
    if (query != std::string_view::npos) {
        auto param = rest.substr(query + 1);
        if (param.substr(0, 3) != "db=") {
            throw std::invalid_argument("unix socket URL accepts only ?db=N");
        }
        endpoint.db = parse_int(param.substr(3), 0, 1 << 20, "database number");
    }
    return endpoint;
}

Endpoint parse_tcp(std::string_view rest) {
    Endpoint endpoint;
    auto at = rest.rfind('@');
    if (at != std::string_view::npos) {
        parse_credentials(rest.substr(0, at), endpoint);
        rest = rest.substr(at + 1);
    }
    auto slash = rest.find('/');
    auto hostport = rest.substr(0, slash);
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
        endpoint.db = parse_int(rest.substr(slash + 1), 0, 1 << 20, "database number");
    }
    auto colon = hostport.rfind(':');
    auto bracket = hostport.rfind(']');  // [::1]:6380: the port follows the bracketed address
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        endpoint.port = parse_int(hostport.substr(colon + 1), 1, 65535, "port");
        hostport = hostport.substr(0, colon);
    }
    if (hostport.empty()) throw std::invalid_argument("URL has no host");
    endpoint.host = std::string(hostport);
    return endpoint;
}

}  // namespace

Endpoint parse_url(const std::string& url) {
    constexpr std::string_view tcp_scheme = "redis://";
    constexpr std::string_view unix_scheme = "unix://";
    std::string_view view(url);
    if (view.substr(0, tcp_scheme.size()) == tcp_scheme) {
        return parse_tcp(view.substr(tcp_scheme.size()));
    }
    if (view.substr(0, unix_scheme.size()) == unix_scheme) {
        return parse_unix(view.substr(unix_scheme.size()));
    }
    throw std::invalid_argument("unsupported URL '" + url +
                                "' (expected redis://[user[:password]@]host[:port][/db] or "
                                "unix:///path)");
}

namespace {
std::string format(const Endpoint& endpoint, const std::string& password) {
    if (!endpoint.unix_path.empty()) {
        std::string url = "unix://" + endpoint.unix_path;
        if (endpoint.db != 0) url += "?db=" + std::to_string(endpoint.db);
        return url;
    }
    std::string url = "redis://";
    if (!endpoint.user.empty()) {
        url += endpoint.user + ":" + password + "@";
    } else if (!endpoint.password.empty()) {
        // ":password@", so a password holding ':' is not read back as user:password.
        url += ":" + password + "@";
    }
    url += endpoint.host + ":" + std::to_string(endpoint.port);
    if (endpoint.db != 0) url += "/" + std::to_string(endpoint.db);
    return url;
}
}  // namespace

std::string Endpoint::redacted() const {
    return format(*this, password.empty() ? "" : "***");
}

std::string Endpoint::to_url() const {
    return format(*this, password);
}

}  // namespace sh::redis

#include "harness/redis/url.hpp"

#include <cctype>
#include <charconv>
#include <stdexcept>

#include "harness/redis/tls_url_parameters.hpp"

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

// Removes cluster=yes|no from a query ("a=1&cluster=no&b=2" -> "a=1&b=2") into
// endpoint.cluster; the other parameters are left to the scheme's own parser.
std::string take_cluster_parameter(std::string_view query, Endpoint& endpoint) {
    std::string rest;
    bool seen = false;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.substr(0, 8) != "cluster=" && pair != "cluster") {
            rest += (rest.empty() ? "" : "&") + std::string(pair);
            continue;
        }
        if (seen) throw std::invalid_argument("URL parameter 'cluster' given twice");
        seen = true;
        auto value = pair.substr(std::min(pair.size(), std::size_t{8}));
        if (value != "yes" && value != "no") {
            throw std::invalid_argument("URL parameter 'cluster': '" + std::string(value) +
                                        "' is not yes or no");
        }
        endpoint.cluster = value == "yes" ? ClusterMode::on : ClusterMode::off;
    }
    return rest;
}

// A unix socket or Sentinel URL reaches one node: cluster=yes cannot hold there.
void refuse_cluster(const Endpoint& endpoint, const char* why) {
    if (endpoint.cluster == ClusterMode::on) {
        throw std::invalid_argument(std::string("URL parameter 'cluster': cluster=yes ") + why);
    }
}

// user[:password] as in RFC 3986 (and redis-py): a lone word is a user name; ":password" alone
// is the legacy AUTH password.
// RFC 3986 percent-encoding, as redis-py reads it: a password with '/', '?', '#' or '%' reaches
// child processes (and Python consumers) intact.
std::string percent_decode(std::string_view text) {
    std::string decoded;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            decoded += text[i];
            continue;
        }
        unsigned value = 0;
        auto digits = text.substr(i + 1, 2);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
        if (digits.size() != 2 || ec != std::errc{} || end != digits.data() + 2) {
            throw std::invalid_argument(
                "bad percent-encoding in the URL's user or password (write '%' as %25)");
        }
        decoded += static_cast<char>(value);
        i += 2;
    }
    return decoded;
}

std::string percent_encode(const std::string& text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string encoded;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            encoded += static_cast<char>(c);
        } else {
            encoded += '%';
            encoded += hex[c >> 4];
            encoded += hex[c & 15];
        }
    }
    return encoded;
}

void parse_credentials(std::string_view userinfo, Endpoint& endpoint) {
    auto colon = userinfo.find(':');
    endpoint.user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) {
        endpoint.password = percent_decode(userinfo.substr(colon + 1));
    }
}

// Credentials before the absolute path, as in unix://user:password@/run/redis.sock.
std::string_view take_credentials(std::string_view rest, Endpoint& endpoint) {
    if (rest.empty() || rest.front() == '/') return rest;
    auto at = rest.find("@/");
    if (at == std::string_view::npos) return rest;
    parse_credentials(rest.substr(0, at), endpoint);
    return rest.substr(at + 1);
}

Endpoint parse_unix(std::string_view rest) {
    Endpoint endpoint;
    rest = take_credentials(rest, endpoint);
    auto query = rest.find('?');
    endpoint.unix_path = std::string(rest.substr(0, query));
    if (endpoint.unix_path.empty() || endpoint.unix_path.front() != '/') {
        throw std::invalid_argument("unix socket URL needs an absolute path: unix:///path");
    }
    if (query != std::string_view::npos) {
        auto param = take_cluster_parameter(rest.substr(query + 1), endpoint);
        refuse_cluster(endpoint, "needs a TCP URL (a unix socket reaches one node)");
        if (param.empty()) return endpoint;
        if (param.substr(0, 3) != "db=") {
            throw std::invalid_argument("unix socket URL accepts only ?db=N (and cluster=no)");
        }
        endpoint.db = parse_int(std::string_view(param).substr(3), 0, 1 << 20, "database number");
    }
    return endpoint;
}

// host[:port]; an IPv6 host goes in brackets ([::1]:6379), which only separate it from the port.
HostPort parse_host_port(std::string_view hostport, int default_port) {
    std::string_view port;
    bool has_port = false;
    bool bracketed = !hostport.empty() && hostport.front() == '[';
    if (bracketed) {
        // Only an IPv6 address goes in brackets (to_url() brackets exactly those).
        auto close = hostport.find(']');
        if (close == std::string_view::npos || close < 2) {
            throw std::invalid_argument("IPv6 address needs brackets: redis://[::1]:6379");
        }
        auto after = hostport.substr(close + 1);
        hostport = hostport.substr(1, close - 1);
        if (hostport.find(':') == std::string_view::npos ||
            hostport.find_first_of("[]/@") != std::string_view::npos) {
            throw std::invalid_argument("'[" + std::string(hostport) +
                                        "]' is not an IPv6 address: redis://[::1]:6379");
        }
        if (!after.empty() && after.front() != ':') {
            throw std::invalid_argument("unexpected '" + std::string(after) +
                                        "' after the IPv6 address");
        }
        has_port = !after.empty();
        if (has_port) port = after.substr(1);
    } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
        has_port = true;
        port = hostport.substr(colon + 1);
        hostport = hostport.substr(0, colon);
    }
    if (!bracketed && hostport.find_first_of(":[]") != std::string_view::npos) {
        throw std::invalid_argument("IPv6 address needs brackets: redis://[::1]:6379");
    }
    HostPort address{std::string(hostport), default_port};
    if (has_port) address.port = parse_int(port, 1, 65535, "port");
    if (hostport.empty()) throw std::invalid_argument("URL has no host");
    return address;
}

Endpoint parse_tcp(std::string_view rest, bool tls) {
    Endpoint endpoint;
    endpoint.tls.enabled = tls;
    // A password may hold '/' or '?', so the credentials end at the last '@' (an '@' in a
    // query parameter is written %40).
    auto at = rest.rfind('@');
    if (at != std::string_view::npos) {
        parse_credentials(rest.substr(0, at), endpoint);
        rest = rest.substr(at + 1);
    }
    if (auto query = rest.find('?'); query != std::string_view::npos) {
        parse_tls_parameters(take_cluster_parameter(rest.substr(query + 1), endpoint), tls,
                             endpoint.tls);
        rest = rest.substr(0, query);
    }
    auto slash = rest.find('/');
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
        endpoint.db = parse_int(rest.substr(slash + 1), 0, 1 << 20, "database number");
    }
    auto address = parse_host_port(rest.substr(0, slash), endpoint.port);
    endpoint.host = std::move(address.host);
    endpoint.port = address.port;
    return endpoint;
}

// [user[:password]@]host[:port][,host[:port]...]/master-name[?db=N]: the credentials and the
// database are the data nodes'; the Sentinels themselves are asked without either.
Endpoint parse_sentinel(std::string_view rest) {
    Endpoint endpoint;
    auto at = rest.rfind('@');
    if (at != std::string_view::npos) {
        parse_credentials(rest.substr(0, at), endpoint);
        rest = rest.substr(at + 1);
    }
    if (auto query = rest.find('?'); query != std::string_view::npos) {
        auto kept = take_cluster_parameter(rest.substr(query + 1), endpoint);
        refuse_cluster(endpoint, "cannot be combined with Sentinel (it finds one primary)");
        rest = rest.substr(0, query);
        std::string_view param(kept);
        if (param.substr(0, 4) == "ssl_") {
            throw std::invalid_argument(
                "redis-sentinel:// URLs are plain TCP: TLS (ssl_* parameters) is not supported "
                "through Sentinel");
        }
        if (!param.empty() && param.substr(0, 3) != "db=") {
            throw std::invalid_argument(
                "redis-sentinel:// URL accepts only ?db=N (and cluster=no)");
        }
        if (!param.empty()) endpoint.db = parse_int(param.substr(3), 0, 1 << 20, "database number");
    }
    auto slash = rest.find('/');
    auto name = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (name.empty()) {
        throw std::invalid_argument(
            "redis-sentinel:// URL has no master name: "
            "redis-sentinel://host:26379[,host:26379...]/<master-name>");
    }
    if (name.find('/') != std::string_view::npos) {
        throw std::invalid_argument(
            "redis-sentinel:// master name may not contain '/' (the database is ?db=N)");
    }
    endpoint.master_name = percent_decode(name);
    auto hosts = rest.substr(0, slash);
    for (;;) {
        auto comma = hosts.find(',');
        auto one = hosts.substr(0, comma);
        if (one.empty()) throw std::invalid_argument("redis-sentinel:// URL has an empty host");
        endpoint.sentinels.push_back(parse_host_port(one, HostPort{}.port));
        if (comma == std::string_view::npos) break;
        hosts = hosts.substr(comma + 1);
    }
    return endpoint;
}

}  // namespace

Endpoint parse_url(const std::string& url) {
    constexpr std::string_view tcp_scheme = "redis://";
    constexpr std::string_view tls_scheme = "rediss://";
    constexpr std::string_view unix_scheme = "unix://";
    constexpr std::string_view sentinel_scheme = "redis-sentinel://";
    std::string_view view(url);
    if (view.substr(0, tcp_scheme.size()) == tcp_scheme) {
        return parse_tcp(view.substr(tcp_scheme.size()), false);
    }
    if (view.substr(0, tls_scheme.size()) == tls_scheme) {
        return parse_tcp(view.substr(tls_scheme.size()), true);
    }
    if (view.substr(0, unix_scheme.size()) == unix_scheme) {
        return parse_unix(view.substr(unix_scheme.size()));
    }
    if (view.substr(0, sentinel_scheme.size()) == sentinel_scheme) {
        return parse_sentinel(view.substr(sentinel_scheme.size()));
    }
    // Never the URL itself: it may hold a password.
    auto scheme = url.find("://");
    throw std::invalid_argument(
        "unsupported URL scheme '" +
        (scheme == std::string::npos ? std::string("(none)") : url.substr(0, scheme)) +
        "' (expected redis://[user[:password]@]host[:port][/db], "
        "rediss://... (TLS), unix://[user[:password]@]/path[?db=N] or "
        "redis-sentinel://[user[:password]@]host[:port][,host[:port]...]/<master-name>[?db=N])");
}

namespace {
// "user:password@" or ":password@" (so a password holding ':' is read back whole), encoded;
// the password replaced by "***" when redacted.
std::string credentials(const Endpoint& endpoint, bool redact) {
    auto user = percent_encode(endpoint.user);
    if (endpoint.password.empty()) return user.empty() ? "" : user + "@";
    return user + ":" + (redact ? std::string("***") : percent_encode(endpoint.password)) + "@";
}

// The URL without the cluster parameter, which format() adds to any scheme.
std::string format_address(const Endpoint& endpoint, bool redact) {
    if (endpoint.through_sentinel()) {
        std::string url = "redis-sentinel://" + credentials(endpoint, redact);
        for (std::size_t i = 0; i < endpoint.sentinels.size(); ++i) {
            if (i != 0) url += ',';
            url += format_host_port(endpoint.sentinels[i].host, endpoint.sentinels[i].port);
        }
        url += "/" + percent_encode(endpoint.master_name);
        if (endpoint.db != 0) url += "?db=" + std::to_string(endpoint.db);
        return url;
    }
    if (!endpoint.unix_path.empty()) {
        std::string url = "unix://" + credentials(endpoint, redact) + endpoint.unix_path;
        if (endpoint.db != 0) url += "?db=" + std::to_string(endpoint.db);
        return url;
    }
    std::string url =
        (endpoint.tls.enabled ? "rediss://" : "redis://") + credentials(endpoint, redact);
    url += format_host_port(endpoint.host, endpoint.port);
    if (endpoint.db != 0) url += "/" + std::to_string(endpoint.db);
    if (endpoint.tls.enabled) url += format_tls_parameters(endpoint.tls);
    return url;
}

std::string format(const Endpoint& endpoint, bool redact) {
    auto url = format_address(endpoint, redact);
    if (endpoint.cluster == ClusterMode::automatic) return url;
    url += url.find('?') == std::string::npos ? '?' : '&';
    return url + (endpoint.cluster == ClusterMode::on ? "cluster=yes" : "cluster=no");
}
}  // namespace

std::string format_host_port(const std::string& host, int port) {
    bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Endpoint::redacted() const {
    return format(*this, true);
}

std::string Endpoint::to_url() const {
    return format(*this, false);
}

}  // namespace sh::redis

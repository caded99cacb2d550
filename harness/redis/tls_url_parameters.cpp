#include "harness/redis/tls_url_parameters.hpp"

#include <strings.h>

#include <cctype>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace sh::redis {

namespace {

constexpr const char* accepted =
    "ssl_ca_certs, ssl_certfile, ssl_keyfile, ssl_cert_reqs, ssl_check_hostname, ssl_server_name, "
    "cluster";

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// As Python's parse_qs reads a query value (redis-py's from_url): %XX is a byte, '+' a space.
std::string percent_decode(std::string_view text, std::string_view name) {
    std::string decoded;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            decoded.push_back(' ');
        } else if (text[i] != '%') {
            decoded.push_back(text[i]);
        } else if (i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
                   hex_digit(text[i + 2]) >= 0) {
            decoded.push_back(
                static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
            i += 2;
        } else {
            throw std::invalid_argument("URL parameter '" + std::string(name) +
                                        "': '%' must be followed by two hex digits");
        }
    }
    return decoded;
}

std::string percent_encode(std::string_view text) {
    constexpr const char* hex = "0123456789ABCDEF";
    std::string encoded;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            encoded.push_back(c);
        } else {
            encoded.push_back('%');
            encoded.push_back(hex[byte >> 4]);
            encoded.push_back(hex[byte & 15]);
        }
    }
    return encoded;
}

// redis-py's to_bool reads "0", "F", "FALSE", "N", "NO" as false; we also refuse what is
// neither, so that a typo does not silently mean true.
bool parse_bool(const std::string& value, std::string_view name) {
    for (const char* word : {"1", "t", "true", "y", "yes"}) {
        if (strcasecmp(value.c_str(), word) == 0) return true;
    }
    for (const char* word : {"0", "f", "false", "n", "no"}) {
        if (strcasecmp(value.c_str(), word) == 0) return false;
    }
    throw std::invalid_argument("URL parameter '" + std::string(name) + "': '" + value +
                                "' is not true or false");
}

void apply(std::string_view name, std::string value, TlsSettings& tls) {
    if (name == "ssl_ca_certs") {
        tls.ca_file = std::move(value);
    } else if (name == "ssl_certfile") {
        tls.cert_file = std::move(value);
    } else if (name == "ssl_keyfile") {
        tls.key_file = std::move(value);
    } else if (name == "ssl_server_name") {
        tls.server_name = std::move(value);
    } else if (name == "ssl_check_hostname") {
        tls.check_hostname = parse_bool(value, name);
    } else if (name == "ssl_cert_reqs") {
        // For a client, Python's CERT_OPTIONAL means the same as CERT_REQUIRED.
        if (value != "none" && value != "optional" && value != "required") {
            throw std::invalid_argument("URL parameter 'ssl_cert_reqs': '" + value +
                                        "' is not none, optional or required");
        }
        tls.verify_peer = value != "none";
    } else {
        throw std::invalid_argument("unknown URL parameter '" + std::string(name) +
                                    "' (a rediss:// URL takes " + accepted + ")");
    }
}

std::string absolute(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace

void parse_tls_parameters(std::string_view query, bool tls_url, TlsSettings& tls) {
    std::set<std::string, std::less<>> seen;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        auto equals = pair.find('=');
        auto name = pair.substr(0, equals);
        if (!tls_url) {
            throw std::invalid_argument(
                "URL parameter '" + std::string(name) + "': " +
                (name.substr(0, 4) == "ssl_"
                     ? "TLS settings need a rediss:// URL"
                     : "a redis:// URL takes no parameters but cluster=yes|no"));
        }
        if (!seen.insert(std::string(name)).second) {
            throw std::invalid_argument("URL parameter '" + std::string(name) + "' given twice");
        }
        auto value = equals == std::string_view::npos
                         ? std::string()
                         : percent_decode(pair.substr(equals + 1), name);
        if (value.empty()) {
            throw std::invalid_argument("URL parameter '" + std::string(name) + "' has no value");
        }
        apply(name, std::move(value), tls);
    }
    if (tls.cert_file.empty() != tls.key_file.empty()) {
        throw std::invalid_argument(
            "URL parameters 'ssl_certfile' and 'ssl_keyfile' go together (mutual TLS needs the "
            "client certificate and its key)");
    }
}

std::string format_tls_parameters(const TlsSettings& tls) {
    std::string query;
    auto add = [&query](const char* name, const std::string& value) {
        query += (query.empty() ? "?" : "&") + std::string(name) + "=" + percent_encode(value);
    };
    if (!tls.ca_file.empty()) add("ssl_ca_certs", absolute(tls.ca_file));
    if (!tls.cert_file.empty()) add("ssl_certfile", absolute(tls.cert_file));
    if (!tls.key_file.empty()) add("ssl_keyfile", absolute(tls.key_file));
    if (!tls.verify_peer) {
        // Not ssl_check_hostname too: Python refuses a hostname check without verification.
        add("ssl_cert_reqs", "none");
        return query;
    }
    if (!tls.server_name.empty()) add("ssl_server_name", tls.server_name);
    // redis-py checks no hostname unless told to, the harness does unless told not to: say it
    // either way. With a server name other than the URL host, redis-py (which can only check
    // the URL host) is left to verify the chain.
    if (!tls.check_hostname) {
        add("ssl_check_hostname", "false");
    } else if (tls.server_name.empty()) {
        add("ssl_check_hostname", "true");
    }
    return query;
}

}  // namespace sh::redis

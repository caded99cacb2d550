// Where a Redis lives and how to log in: parsed from redis:// and unix:// URLs.
#pragma once

#include <optional>
#include <string>

namespace sh::redis {

struct Endpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string unix_path;  // non-empty: connect over a unix socket instead of TCP
    std::string user;       // empty with a password: legacy AUTH password
    std::string password;
    int db = 0;

    // The URL again, with the password replaced by "***" so it can go into logs and reports.
    std::string redacted() const;
    // The URL again, password included: for handing the endpoint to a child process.
    std::string to_url() const;
};

// redis://[user[:password]@]host[:port][/db] or unix:///path[?db=N]; throws std::invalid_argument
// with the reason when the URL is malformed.
Endpoint parse_url(const std::string& url);

}  // namespace sh::redis

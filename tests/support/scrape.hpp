// A scraper's side of the live metrics, for tests: a small HTTP/1.1 client over a real socket
// and a strict reader of the Prometheus text exposition format (0.0.4).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace sh::testing {

struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
};

// Sends `request` as is to 127.0.0.1:port and reads the reply until the server closes;
// throws std::runtime_error when it cannot connect or the reply is not HTTP.
HttpReply http_exchange(int port, const std::string& request);
// GET path, HTTP/1.1.
HttpReply http_get(int port, const std::string& path);

struct Exposition {
    std::map<std::string, std::string> types;  // family name -> counter, gauge, ...
    std::map<std::string, double> samples;     // `name{labels}` as written -> value
    std::vector<std::string> problems;         // every line that breaks the format, and why
};

// Reads the text: every sample line must be `name{label="value",...} value` with a valid
// metric name and label names and a float value, after its family's HELP and TYPE lines.
Exposition parse_exposition(const std::string& text);

}  // namespace sh::testing

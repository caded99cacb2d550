// libFuzzer target: Redis URLs as `--redis` and the workers' environment carry them. A URL either
// parses or is refused with std::invalid_argument; one that parses must come back the same from
// to_url() (how the harness hands it to workers), and its redacted() form (logs and reports) must
// not give the password away.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

#include "harness/redis/url.hpp"

namespace {

bool same(const sh::redis::Endpoint& a, const sh::redis::Endpoint& b) {
    if (a.sentinels.size() != b.sentinels.size()) return false;
    for (std::size_t i = 0; i < a.sentinels.size(); ++i) {
        if (a.sentinels[i].host != b.sentinels[i].host ||
            a.sentinels[i].port != b.sentinels[i].port) {
            return false;
        }
    }
    return a.host == b.host && a.port == b.port && a.unix_path == b.unix_path && a.user == b.user &&
           a.password == b.password && a.db == b.db && a.master_name == b.master_name &&
           a.cluster == b.cluster;
}

[[noreturn]] void fail(const std::string& url, const std::string& problem) {
    std::cerr << "URL '" << url << "': " << problem << "\n";
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string url(reinterpret_cast<const char*>(data), size);
    sh::redis::Endpoint endpoint;
    try {
        endpoint = sh::redis::parse_url(url);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    auto written = endpoint.to_url();
    try {
        if (!same(sh::redis::parse_url(written), endpoint)) {
            fail(url, "to_url() gives '" + written + "', which parses to another endpoint");
        }
    } catch (const std::invalid_argument& error) {
        fail(url, "to_url() gives '" + written + "', which does not parse: " + error.what());
    }
    if (endpoint.password.empty()) return 0;
    // "Never shows the password", checked so that a password that is also the host or user
    // ("redis://a:a@a") is no false alarm: the redacted URL stays the same when only the password
    // changes, so none of it can come from the password.
    auto other = endpoint;
    other.password += "x";
    if (other.redacted() != endpoint.redacted()) {
        fail(url, "redacted() '" + endpoint.redacted() + "' changes with the password");
    }
    return 0;
}

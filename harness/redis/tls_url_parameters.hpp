// The query parameters of a rediss:// URL that carry TLS settings, named as redis-py names them
// (its from_url passes them to its SSLConnection), so that the URL a child process receives in
// STREAMHARNESS_REDIS_URL configures a Python consumer the same way as the harness's workers.
#pragma once

#include <string>
#include <string_view>

#include "harness/redis/url.hpp"

namespace sh::redis {

// Reads "name=value&..." (percent-encoded) into tls; throws std::invalid_argument naming an
// unknown, repeated or invalid parameter. `tls_url` is false for redis://, which takes none.
void parse_tls_parameters(std::string_view query, bool tls_url, TlsSettings& tls);

// "?ssl_ca_certs=...&..." for the settings that differ from the defaults (file paths made
// absolute), or "" when there are none.
std::string format_tls_parameters(const TlsSettings& tls);

}  // namespace sh::redis

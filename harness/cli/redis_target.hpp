// Which Redis a command talks to, from its --redis URL and where the password comes from: the
// URL, --redis-password-file, or STREAMHARNESS_REDIS_PASSWORD (so that it need not appear on a
// command line, in `ps`, in shell history or in CI logs); and, for rediss://, the TLS settings
// from the URL's ssl_* parameters or the --tls-* flags.
#pragma once

#include <optional>
#include <string>

#include "harness/redis/url.hpp"

namespace sh::cli {

inline constexpr const char* redis_password_env = "STREAMHARNESS_REDIS_PASSWORD";

struct RedisTargetFlags {
    std::string url;              // --redis; empty: the command's default (an embedded server)
    std::string sentinel_url;     // --sentinel: a redis-sentinel:// URL instead of --redis
    bool cluster = false;         // --cluster: --redis is a node of a Redis Cluster (cluster=yes)
    std::string password_file;    // --redis-password-file
    std::string tls_ca;           // --tls-ca
    std::string tls_cert;         // --tls-cert
    std::string tls_key;          // --tls-key
    std::string tls_server_name;  // --tls-server-name
    bool tls_insecure = false;    // --tls-insecure
};

// The endpoint, or none without --redis. The password is taken from the URL, else the file,
// else the environment variable; a URL password together with a file is refused (which one was
// meant?). The --tls-* flags need a rediss:// URL and may not repeat one of its parameters;
// the files they name must be readable. Throws WorkloadError naming the flag (exit 2).
std::optional<redis::Endpoint> resolve_redis_target(const RedisTargetFlags& flags);

}  // namespace sh::cli

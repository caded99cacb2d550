#include "harness/cli/redis_target.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "harness/errors.hpp"

namespace sh::cli {

namespace {

// The file's content without the final line break an editor or `echo` adds.
std::string read_password_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw usage_error({"--redis-password-file: cannot read '" + path + "'"});
    std::ostringstream content;
    content << file.rdbuf();
    auto password = content.str();
    if (!password.empty() && password.back() == '\n') password.pop_back();
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) throw usage_error({"--redis-password-file: '" + path + "' is empty"});
    if (password.find('\n') != std::string::npos) {
        throw usage_error({"--redis-password-file: '" + path +
                           "' holds more than one line; it must hold the password alone"});
    }
    return password;
}

// The first --tls-* flag given, for naming it in an error; empty when none is.
std::string first_tls_flag(const RedisTargetFlags& flags) {
    if (!flags.tls_ca.empty()) return "--tls-ca";
    if (!flags.tls_cert.empty()) return "--tls-cert";
    if (!flags.tls_key.empty()) return "--tls-key";
    if (!flags.tls_server_name.empty()) return "--tls-server-name";
    return flags.tls_insecure ? "--tls-insecure" : "";
}

// A --tls-* flag's value into the endpoint's setting, unless the URL gave that setting already.
void take_tls_flag(const std::string& value, const char* flag, const char* parameter,
                   std::string& setting) {
    if (value.empty()) return;
    if (!setting.empty()) {
        throw usage_error({std::string(flag) + ": the --redis URL has " + parameter +
                           " too; give it in one place only"});
    }
    setting = value;
}

void check_readable(const std::string& path, const std::string& source) {
    if (!path.empty() && !std::ifstream(path)) {
        throw usage_error({source + ": cannot read '" + path + "'"});
    }
}

void apply_tls_flags(const RedisTargetFlags& flags, redis::TlsSettings& tls) {
    if (!tls.enabled) {
        if (auto flag = first_tls_flag(flags); !flag.empty()) {
            throw usage_error({flag + ": needs a rediss:// URL in --redis (this one is not TLS)"});
        }
        return;
    }
    if (flags.tls_cert.empty() != flags.tls_key.empty()) {
        throw usage_error(
            {"--tls-cert and --tls-key go together: a client certificate needs "
             "its private key"});
    }
    take_tls_flag(flags.tls_ca, "--tls-ca", "ssl_ca_certs", tls.ca_file);
    take_tls_flag(flags.tls_cert, "--tls-cert", "ssl_certfile", tls.cert_file);
    take_tls_flag(flags.tls_key, "--tls-key", "ssl_keyfile", tls.key_file);
    take_tls_flag(flags.tls_server_name, "--tls-server-name", "ssl_server_name", tls.server_name);
    if (flags.tls_insecure) tls.verify_peer = false;
    check_readable(tls.ca_file, flags.tls_ca.empty() ? "--redis: ssl_ca_certs" : "--tls-ca");
    check_readable(tls.cert_file, flags.tls_cert.empty() ? "--redis: ssl_certfile" : "--tls-cert");
    check_readable(tls.key_file, flags.tls_key.empty() ? "--redis: ssl_keyfile" : "--tls-key");
}

}  // namespace

std::optional<redis::Endpoint> resolve_redis_target(const RedisTargetFlags& given) {
    auto flags = given;
    if (!flags.sentinel_url.empty()) {
        if (!flags.url.empty()) {
            throw usage_error({"--sentinel: give --redis or --sentinel, not both"});
        }
        if (flags.sentinel_url.rfind("redis-sentinel://", 0) != 0) {
            throw usage_error(
                {"--sentinel: expected redis-sentinel://host:port[,host:port...]/"
                 "<master-name>"});
        }
        flags.url = flags.sentinel_url;
    }
    if (flags.url.empty()) {
        if (flags.cluster) {
            throw usage_error(
                {"--cluster: needs --redis (for an embedded cluster set "
                 "topology.cluster in the workload)"});
        }
        if (!flags.password_file.empty()) {
            throw usage_error(
                {"--redis-password-file: needs --redis (the embedded server has "
                 "no password)"});
        }
        if (auto flag = first_tls_flag(flags); !flag.empty()) {
            throw usage_error(
                {flag + ": needs --redis rediss://... (the embedded server speaks no TLS)"});
        }
        return std::nullopt;
    }
    redis::Endpoint endpoint;
    try {
        endpoint = redis::parse_url(flags.url);
    } catch (const std::invalid_argument& error) {
        throw usage_error({std::string("--redis: ") + error.what()});
    }
    apply_tls_flags(flags, endpoint.tls);
    if (flags.cluster) {
        if (endpoint.through_sentinel()) {
            throw usage_error({"--cluster: a Redis Cluster is not found through Sentinel"});
        }
        endpoint.cluster = redis::ClusterMode::on;
    }
    if (!flags.password_file.empty()) {
        if (!endpoint.password.empty()) {
            throw usage_error(
                {"--redis-password-file: the --redis URL has a password too; give "
                 "it in one place only"});
        }
        endpoint.password = read_password_file(flags.password_file);
    } else if (const char* password = std::getenv(redis_password_env);
               endpoint.password.empty() && password != nullptr && *password != '\0') {
        endpoint.password = password;
    }
    return endpoint;
}

}  // namespace sh::cli

#include "reports/provenance_json.hpp"

#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

json or_null(const std::string& value) {
    return value.empty() ? json(nullptr) : json(value);
}

}  // namespace

json redis_provenance_json(const run::Environment& environment) {
    const auto& config = environment.config;
    return {{key::version, or_null(environment.redis_version)},
            {key::mode, or_null(config.mode)},
            {key::persistence, or_null(environment.persistence)},
            {key::appendfsync, or_null(config.appendfsync)},
            {key::maxmemory_bytes, config.maxmemory_bytes ? json(*config.maxmemory_bytes) : json()},
            {key::maxmemory_policy, or_null(environment.maxmemory_policy)},
            {key::io_threads, config.io_threads ? json(*config.io_threads) : json()}};
}

run::RedisConfig redis_config_of(const json& report) {
    const auto& redis = member_path(report, {key::provenance, key::redis});
    run::RedisConfig config;
    config.mode = string_or(member(redis, key::mode));
    config.appendfsync = string_or(member(redis, key::appendfsync));
    if (auto bytes = number_of(member(redis, key::maxmemory_bytes))) {
        config.maxmemory_bytes = static_cast<std::int64_t>(*bytes);
    }
    if (auto threads = number_of(member(redis, key::io_threads))) {
        config.io_threads = static_cast<int>(*threads);
    }
    return config;
}

}  // namespace sh::reports

// `streamharness produce`: producer threads alone, as fast as they go, against any Redis — the
// harness's side of the side-by-side comparison with redis-benchmark (same payload, pipeline
// depth and connection count).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/redis/url.hpp"

namespace sh::cli {

struct ProduceOnlyOptions {
    redis::Endpoint endpoint;
    std::string stream_key;
    std::uint64_t orders = 1'000'000;
    int connections = 1;  // one producer thread per connection
    int pipeline = 16;
    std::size_t payload_bytes = 64;
};

// Produces the orders and returns {orders, ok, seconds, orders_per_s, xadd_latency}.
nlohmann::json produce_only(const ProduceOnlyOptions& options);

}  // namespace sh::cli

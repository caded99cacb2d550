// Finding the primary of a replicated Redis through Redis Sentinel (DESIGN §3.2).
#pragma once

#include <chrono>

#include "harness/redis/url.hpp"

namespace sh::redis {

// Asks endpoint.sentinels in turn (plain TCP, no credentials, `timeout` for each) for
// SENTINEL get-master-addr-by-name endpoint.master_name and returns a copy of the endpoint with
// host and port set to the first answer. A Sentinel that is unreachable, errs or does not know
// the master is skipped; when none answers, throws RedisIoError naming every Sentinel asked and
// why.
Endpoint resolve_primary(const Endpoint& endpoint, std::chrono::milliseconds timeout);

}  // namespace sh::redis

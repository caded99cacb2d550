// WAIT and WAITAOF after a write: how many replicas (and AOF fsyncs) acknowledged it in time.
// A short answer is not an error: the write happened, it may just not survive a failover.
#pragma once

#include <cstdint>

#include "harness/redis/connection.hpp"
#include "harness/redis/reply.hpp"

namespace sh::redis {

struct WaitRequest {
    std::int64_t replicas = 0;      // WAIT numreplicas (or WAITAOF's numreplicas)
    std::int64_t aof_local = 0;     // WAITAOF numlocal: 1 = this server's AOF fsynced it
    std::int64_t aof_replicas = 0;  // WAITAOF numreplicas
    std::int64_t timeout_ms = 1000;

    bool enabled() const { return replicas > 0 || aof_local > 0 || aof_replicas > 0; }
    bool uses_waitaof() const { return aof_local > 0 || aof_replicas > 0; }
};

// WAIT numreplicas timeout, or WAITAOF numlocal numreplicas timeout.
Args wait_command(const WaitRequest& request);
// The reply met the request (an error reply does not).
bool wait_satisfied(const ReplyView& reply, const WaitRequest& request);
// Sends the command and judges its reply; throws like Connection::command on an error reply.
bool wait_for(Connection& connection, const WaitRequest& request);

}  // namespace sh::redis

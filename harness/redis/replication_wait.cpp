#include "harness/redis/replication_wait.hpp"

#include <string>

namespace sh::redis {

Args wait_command(const WaitRequest& request) {
    if (request.uses_waitaof()) {
        return {"WAITAOF", std::to_string(request.aof_local), std::to_string(request.aof_replicas),
                std::to_string(request.timeout_ms)};
    }
    return {"WAIT", std::to_string(request.replicas), std::to_string(request.timeout_ms)};
}

bool wait_satisfied(const ReplyView& reply, const WaitRequest& request) {
    if (reply.is_error()) return false;
    if (!request.uses_waitaof()) return reply.is_integer() && reply.integer() >= request.replicas;
    // WAITAOF answers [local fsyncs, replica fsyncs].
    return reply.size() == 2 && reply.element(0).integer() >= request.aof_local &&
           reply.element(1).integer() >= request.aof_replicas;
}

bool wait_for(Connection& connection, const WaitRequest& request) {
    auto args = wait_command(request);
    auto reply = connection.command(args);
    return wait_satisfied(ReplyView(reply.get()), request);
}

}  // namespace sh::redis

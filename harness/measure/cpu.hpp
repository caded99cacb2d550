// CPU time of processes and of Redis, for telling which side of a run was the bottleneck.
#pragma once

#include <sys/types.h>

#include <vector>

#include "harness/redis/connection.hpp"

namespace sh::measure {

// User + system CPU seconds a process has used (/proc/<pid>/stat), 0 when it is gone.
double process_cpu_s(pid_t pid);
// Redis's own CPU seconds (INFO cpu: used_cpu_sys + used_cpu_user, main thread and children).
double redis_cpu_s(redis::Connection& connection);

}  // namespace sh::measure

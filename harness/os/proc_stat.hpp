// A process's line in /proc/<pid>/stat: the few fields the harness reads about processes it
// started (and what those started in turn).
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

namespace sh::os {

struct ProcStat {
    char state = 0;  // 'R', 'S', 'T' (stopped by a signal), 'Z' (exited, not reaped)...
    pid_t parent = 0;
    pid_t process_group = 0;
};

// nullopt when the process is gone.
std::optional<ProcStat> read_proc_stat(pid_t pid);
// Every process visible in /proc.
std::vector<pid_t> all_pids();

}  // namespace sh::os

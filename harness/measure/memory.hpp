// Resident memory of processes, for showing that a long run's footprint stays flat.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

namespace sh::measure {

// A size field of /proc/<pid>/status ("VmRSS", "VmHWM", ...) in bytes; 0 when the process or
// the field is gone.
std::int64_t proc_status_bytes(pid_t pid, std::string_view field);
inline std::int64_t process_rss_bytes(pid_t pid) {
    return proc_status_bytes(pid, "VmRSS");
}

}  // namespace sh::measure

#include "harness/measure/memory.hpp"

#include <fstream>
#include <string>

namespace sh::measure {

std::int64_t proc_status_bytes(pid_t pid, std::string_view field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        // "VmRSS:	   12345 kB"
        if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
            line[field.size()] == ':') {
            return std::stoll(line.substr(field.size() + 1)) * 1024;
        }
    }
    return 0;
}

}  // namespace sh::measure

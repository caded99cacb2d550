#include "harness/os/proc_stat.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sh::os {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(file, line)) return std::nullopt;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so the fields
    // are read after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 1));
    ProcStat stat;
    if (!(fields >> stat.state >> stat.parent >> stat.process_group)) return std::nullopt;
    return stat;
}

std::vector<pid_t> all_pids() {
    std::vector<pid_t> pids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return pids;
}

}  // namespace sh::os

#include "harness/os/host_facts.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace sh::os {

namespace {

std::string cpu_model() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    // x86 names the model "model name"; arm64 and others use "Hardware" or "cpu model".
    for (const char* field : {"model name", "Hardware", "cpu model"}) {
        cpuinfo.clear();
        cpuinfo.seekg(0);
        while (std::getline(cpuinfo, line)) {
            if (line.rfind(field, 0) != 0) continue;
            auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            auto start = line.find_first_not_of(" \t", colon + 1);
            if (start != std::string::npos) return line.substr(start);
        }
    }
    return "";
}

}  // namespace

HostFacts host_facts() {
    HostFacts facts;
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) == 0) facts.hostname = name;
    facts.cpu_model = cpu_model();
    facts.cores = std::thread::hardware_concurrency();
    utsname system{};
    if (uname(&system) == 0) {
        facts.kernel = std::string(system.sysname) + " " + system.release + " " + system.machine;
    }
    return facts;
}

}  // namespace sh::os

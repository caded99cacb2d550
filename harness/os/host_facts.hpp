// The machine a report was produced on, for its provenance (DESIGN §9.1): numbers from two
// hosts are compared knowing they are from two hosts.
#pragma once

#include <string>

namespace sh::os {

struct HostFacts {
    std::string hostname;
    std::string cpu_model;  // /proc/cpuinfo's "model name" (or "Hardware", "cpu model"); "" if none
    unsigned cores = 0;     // the cores this process may run on
    std::string kernel;     // uname: "Linux 6.1.0-18-amd64 x86_64"
};

HostFacts host_facts();

}  // namespace sh::os

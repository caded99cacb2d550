#include "tests/support/leftovers.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "harness/os/proc_stat.hpp"

namespace sh::testing {

std::set<pid_t> children() {
    std::set<pid_t> result;
    for (auto pid : os::all_pids()) {
        auto stat = os::read_proc_stat(pid);
        if (stat && stat->parent == getpid()) result.insert(pid);
    }
    return result;
}

bool gone(pid_t pid) {
    return ::kill(pid, 0) == -1 && errno == ESRCH &&
           !std::filesystem::exists("/proc/" + std::to_string(pid));
}

PrivateTmpdir::PrivateTmpdir() {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    setenv("TMPDIR", dir_.path().c_str(), 1);
}

PrivateTmpdir::~PrivateTmpdir() {
    if (old_) {
        setenv("TMPDIR", old_->c_str(), 1);
    } else {
        unsetenv("TMPDIR");
    }
}

bool PrivateTmpdir::empty() const {
    return std::filesystem::is_empty(dir_.path());
}

}  // namespace sh::testing

// What a test that starts servers may leave behind: child processes and temporary directories.
#pragma once

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>

#include "harness/os/temp_dir.hpp"

namespace sh::testing {

// This process's children, per /proc.
std::set<pid_t> children();
// The process is gone: neither running nor a zombie.
bool gone(pid_t pid);

// Every temporary directory made while this lives lands in a private TMPDIR, so a test can tell
// that none is left without confusing them with other tests' directories.
class PrivateTmpdir {
  public:
    PrivateTmpdir();
    ~PrivateTmpdir();
    PrivateTmpdir(const PrivateTmpdir&) = delete;
    PrivateTmpdir& operator=(const PrivateTmpdir&) = delete;
    bool empty() const;

  private:
    os::TempDir dir_{"streamharness-leftovers-test"};
    std::optional<std::string> old_;
};

}  // namespace sh::testing

// A child process owned by a value: started with fork+exec, reaped by its destructor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sh::os {

struct SpawnOptions {
    std::vector<std::string> env;  // extra NAME=value entries added to the inherited environment
    std::string output_path;       // stdout and stderr appended here; empty: inherit
    int pass_fd = -1;              // handed to the child as fd 3; every other fd above 2 is closed
    std::string cwd;               // the child's working directory; empty: the parent's
    // The child leads a process group of its own and every signal goes to the whole group: a
    // wrapper (sh -c, npm start) and what it starts are stopped, killed and reaped as one.
    bool process_group = false;
    // SIGINT, SIGTERM and SIGHUP start blocked (pending until the child takes them with
    // os::StopSignals): for `streamharness worker`, so that a stop right after a start is a
    // clean stop, not death by signal.
    bool stop_signals_pending = false;
};

class ChildProcess {
  public:
    // Starts argv[0] (searched on PATH, or relative to options.cwd when it names a path). The
    // child dies with its parent (PR_SET_PDEATHSIG), so a
    // harness killed with SIGKILL leaves no orphans. PDEATHSIG fires when the *thread* that forked
    // exits, so spawn only from a thread that outlives the child. Throws EnvironmentError.
    static ChildProcess spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

    ChildProcess() = default;
    ~ChildProcess();
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0 && !status_; }
    // Stopped by a signal (SIGSTOP, or one it raised itself), per /proc/<pid>/stat.
    bool stopped() const;
    void signal(int signo) const;
    // Reaps the child if it has exited; returns its wait status then.
    std::optional<int> poll();
    int wait();
    // SIGTERM, then SIGKILL when it has not exited within the grace period; returns wait status.
    int terminate(std::chrono::milliseconds grace);

  private:
    ChildProcess(pid_t pid, bool group) : pid_(pid), group_(group) {}
    void send(int signo) const;
    // Called once the child is reaped: what it leaves behind in its group does not outlive it.
    void kill_leftovers() const;
    // A process of the group that has not exited yet (zombies do not count).
    bool group_alive() const;
    pid_t pid_ = -1;
    bool group_ = false;
    std::optional<int> status_;
};

// "exited with 3", "killed by signal 9": for logs and error messages.
std::string describe_wait_status(int status);

// Full path of an executable found on PATH, or empty.
std::string find_on_path(const std::string& name);

}  // namespace sh::os

// The consumer fleet: one worker process per consumer of every group, their names and shared
// slots, and every rule about their lives: starting, restarting the ones that die on their
// own, the final stop, and what a fault may do to one (freeze, pause, stop, kill, release).
// The chaos controller decides when and to whom; the fleet decides what that means.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "harness/measure/consumer_stats.hpp"
#include "harness/os/child_process.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

struct FleetConfig {
    std::string executable;     // this binary, re-invoked as `worker`
    std::string workload_path;  // the effective workload file
    std::string run_id;
    std::string stamp;      // the run's entry stamp (model::RunKeys::stamp)
    std::string redis_url;  // passed through the environment, never argv
    int stats_fd = -1;
    std::string log_dir;               // worker stdout/stderr, one file per consumer name
    std::string group_start_id = "0";  // the ID the supervisor created the groups at
};

struct Worker {
    std::size_t group_index = 0;
    std::string group;
    int index = 0;            // 1-based within the group
    int incarnation = 1;      // bumped when restarted under a new name
    std::string name;         // consumer name in the group
    std::string client_name;  // CLIENT SETNAME of its connection
    std::size_t slot = 0;     // stats slot
    os::ChildProcess process;
    bool retired = false;  // exited and not restarted
    bool held = false;     // a fault holds it (paused, stopping): the fleet must not restart it
};

// A worker that exited without being asked to.
struct WorkerExit {
    std::string name;
    std::string group;
    std::string how;  // "killed by signal 9 (Killed)", "exited with 3"
    bool restarted = false;
    std::string restarted_as;  // the consumer name it runs under now
};

class Fleet {
  public:
    // slots: the shared region, one slot per consumer (slots_for(workload) of them).
    Fleet(FleetConfig config, const workload::Workload& workload, measure::StatsRegion& slots);
    static std::size_t slots_for(const workload::Workload& workload);

    void start_all();
    // Reaps workers that exited and restarts them per their group's restart policy.
    std::vector<WorkerExit> restart_exited();
    // SIGTERM everyone (a clean stop finishes and acknowledges the batch in hand), SIGKILL
    // after grace; returns the names of those that had to be killed.
    std::vector<std::string> stop_all(std::chrono::milliseconds grace);
    // How long a clean stop may take: the longest a worker can spend on the batch in hand
    // (its read's BLOCK, a batch of service times, the pause after it) plus a margin.
    std::chrono::milliseconds stop_grace() const;

    const std::vector<Worker>& workers() const { return workers_; }
    // Running, not retired, not held by a fault: a fault may pick it.
    bool usable(std::size_t worker) const;
    bool running(std::size_t worker) const { return workers_[worker].process.running(); }
    bool any_in_flight() const;  // a running worker holds a batch it has not finished

    // What faults do, by index into workers().
    void freeze(std::size_t worker);  // SIGSTOP for a look at what it holds; thaw() after
    void thaw(std::size_t worker);
    void kill(std::size_t worker);    // SIGKILL and reap; release() decides what comes next
    void pause(std::size_t worker);   // SIGSTOP, held until resume()
    void hold(std::size_t worker);    // held as it is (it stopped itself in a window)
    void resume(std::size_t worker);  // SIGCONT, no longer held
    void stop(std::size_t worker);    // SIGTERM, held until it exits and is released
    std::optional<int> poll(std::size_t worker);
    int force_exit(std::size_t worker);      // SIGKILL what did not stop in time; its wait status
    bool stopped(std::size_t worker) const;  // stopped by a signal right now
    // After a fault ended the process: restart it (same or next name) or retire it. Returns
    // the name it runs under now, or nullopt when retired.
    std::optional<std::string> release(std::size_t worker, workload::RestartPolicy restart);

    // Its shared slot: where it is in its batch, and the channel a fault speaks through.
    const measure::ConsumerSlot& slot(std::size_t worker) const;
    measure::ConsumerControl& control(std::size_t worker);

    const measure::ConsumerSlot& slot_of(const Worker& worker) const {
        return slots_.slots()[worker.slot];
    }

  private:
    std::string name_for(const Worker& worker) const;
    // Starts (or restarts) one worker; new_name gives it the next incarnation's name.
    void start(Worker& worker, bool new_name);

    FleetConfig config_;
    const workload::Workload& workload_;
    measure::StatsRegion& slots_;
    std::vector<Worker> workers_;
};

}  // namespace sh::run

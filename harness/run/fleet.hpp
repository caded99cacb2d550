// The consumer fleet: one worker process per consumer of every group, their names and stats
// slots, and restarting the ones that die (by a fault or on their own).
#pragma once

#include <chrono>
#include <string>
#include <vector>

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
    bool retired = false;     // exited and not restarted (restart policy `never`)
    bool controlled = false;  // a fault owns its lifecycle: the fleet must not restart it
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
    Fleet(FleetConfig config, const workload::Workload& workload);

    void start_all();
    // Reaps workers that exited and restarts them per their group's restart policy.
    std::vector<WorkerExit> restart_exited();
    // SIGTERM everyone (a clean stop finishes and acknowledges the batch in hand), SIGKILL
    // after grace; returns the names of those that had to be killed.
    std::vector<std::string> stop_all(std::chrono::milliseconds grace);
    // How long a clean stop may take: the longest a worker can spend on the batch in hand
    // (its read's BLOCK, a batch of service times, the pause after it) plus a margin.
    std::chrono::milliseconds stop_grace() const;

    std::vector<Worker>& workers() { return workers_; }
    const std::vector<Worker>& workers() const { return workers_; }
    std::size_t slot_count() const { return workers_.size(); }
    // Starts (or restarts) one worker; new_name gives it the next incarnation's name.
    void start(Worker& worker, bool new_name);

  private:
    std::string name_for(const Worker& worker) const;

    FleetConfig config_;
    const workload::Workload& workload_;
    std::vector<Worker> workers_;
};

}  // namespace sh::run

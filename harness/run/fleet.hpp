// The consumer fleet: one worker process per consumer of every group, their names and shared
// slots, and every rule about their lives: starting, restarting the ones that die on their
// own, the final stop, and what a fault may do to one (freeze, pause, stop, kill, release).
// The chaos controller decides when and to whom; the fleet decides what that means.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/measure/consumer_stats.hpp"
#include "harness/model/agent_share.hpp"
#include "harness/model/keys.hpp"
#include "harness/os/child_process.hpp"
#include "harness/os/stop_signals.hpp"
#include "harness/redis/clients.hpp"
#include "harness/redis/connection.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

struct FleetConfig {
    std::string executable;        // this binary, re-invoked as `worker`
    std::string workload_path;     // the effective workload file
    model::StreamShards shards;    // the run's keys per shard and its entry stamp
    std::string redis_url;         // passed through the environment, never argv
    std::string effect_store_url;  // the separate effect store, when a group uses one
    int stats_fd = -1;
    std::string log_dir;               // worker stdout/stderr, one file per consumer name
    std::string group_start_id = "0";  // the ID the supervisor created the groups at
    model::AgentShare agent;           // an agent runs its share of every group's instances
    model::SharedClock clock;          // the orders its workers take the latency of
};

struct Worker {
    std::size_t group_index = 0;
    std::string group;
    int index = 0;                       // 1-based within the group
    std::vector<std::size_t> shards{0};  // the shards of the stream it reads (stream.shards)
    int incarnation = 1;                 // bumped when restarted under a new name
    std::string name;                    // consumer name in the group
    std::string client_name;             // CLIENT SETNAME of its connection
    std::size_t slot = 0;                // stats slot
    os::ChildProcess process;
    bool retired = false;   // exited and not restarted
    bool held = false;      // a fault holds it (paused, stopping): the fleet must not restart it
    bool external = false;  // the user's consumer process, not `streamharness worker`
    std::int64_t started_ns = 0;  // when this incarnation was started
    int quick_exits = 0;          // exits in a row soon after starting
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
    // Waits until every worker reads its group: the built-in one says so in its slot, an
    // external one shows up among the group's consumers under its STREAMHARNESS_CONSUMER
    // name, or (a consumer that picks its own name) one of its connections last ran a
    // consumer-group command. A worker that exits first, or not in time, is an
    // EnvironmentError naming its command and its log.
    void await_start(redis::Connection& redis, const os::StopSignals& stop);
    // Reaps workers that exited and restarts them per their group's restart policy; one that
    // keeps exiting right after it starts is retired instead.
    std::vector<WorkerExit> restart_exited();
    // SIGTERM everyone (a clean stop finishes and acknowledges the batch in hand), SIGKILL
    // after grace; returns the names of those that had to be killed.
    std::vector<std::string> stop_all(std::chrono::milliseconds grace);
    // How long a clean stop may take: the longest a worker can spend on the batch in hand
    // (its read's BLOCK, a batch of service times, the pause after it) plus a margin.
    std::chrono::milliseconds stop_grace() const;

    const std::vector<Worker>& workers() const { return workers_; }
    // Whether the fleet gave this consumer name to one of its workers at some point.
    bool assigned(const std::string& consumer_name) const {
        return assigned_names_.count(consumer_name) > 0;
    }
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
    // The worker's connections among the server's clients: a built-in worker's by the name it
    // gives them, an external one's by the local addresses of its own TCP sockets (it need
    // not name them).
    std::vector<redis::ClientInfo> clients_of(std::size_t worker,
                                              const std::vector<redis::ClientInfo>& clients) const;

  private:
    std::string name_for(const Worker& worker) const;
    void start_external(Worker& worker, const workload::ExternalConsumer& consumer);
    std::string log_path(const Worker& worker) const;
    std::string describe(const Worker& worker) const;  // the command, for errors
    // Whether an external worker reads its group: see await_start.
    bool reads_group(std::size_t worker, const std::set<std::string>& group_consumers,
                     const std::vector<redis::ClientInfo>& clients) const;
    // Starts (or restarts) one worker; new_name gives it the next incarnation's name.
    void start(Worker& worker, bool new_name);

    FleetConfig config_;
    const workload::Workload& workload_;
    measure::StatsRegion& slots_;
    std::vector<Worker> workers_;
    std::set<std::string> assigned_names_;
};

}  // namespace sh::run

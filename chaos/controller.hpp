// The chaos controller (DESIGN §6): runs the workload's fault schedule against the consumer
// fleet and Redis while producers run, records every fault in the run's timeline with what its
// target held and the window of its batch it was in, measures how long until someone else
// acknowledged those entries, and counts per chaos event how many of its faults were scheduled,
// landed and skipped (a chaos run whose faults did not happen proves nothing).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chaos/schedule.hpp"
#include "chaos/target.hpp"
#include "harness/run/run_observer.hpp"

namespace sh::chaos {

class ChaosController : public run::RunObserver {
  public:
    ChaosController() = default;

    void check(const workload::Workload& workload, bool embedded_redis) override;
    void tick(run::RunControl& control, bool producing) override;
    void finish(run::RunControl& control) override;

  private:
    // What a consumer held when a fault hit it, until every entry was acknowledged by someone.
    struct Recovery {
        std::size_t event_index;  // into result.events
        std::string group;
        // Still pending, by stream (a worker may read several shards).
        std::map<std::string, std::set<std::string>> ids;
        std::int64_t since_ns;
    };
    struct Timed {
        std::size_t worker;
        std::int64_t until_ns;
    };
    struct Stopping {
        std::size_t worker;
        workload::RestartPolicy restart;
        std::size_t event_index;
        std::int64_t deadline_ns;
    };
    struct Deferred {
        ScheduledFault fault;
        std::int64_t give_up_ns;
    };
    // A kill or pause aimed at a window: the workers armed to stop themselves when they enter
    // it, until one (target "any") or each ("all", an index) has, or the fault gives up.
    struct Aimed {
        ScheduledFault fault;
        std::vector<std::size_t> workers;
        bool first_only = false;
        bool landed = false;
        std::int64_t give_up_ns;
    };
    // skipped: tried and recorded as skipped (a cluster failover that did not complete).
    enum class Outcome { landed, no_target, armed, skipped };
    struct Tally {
        std::uint64_t scheduled = 0;
        std::uint64_t landed = 0;
        std::uint64_t skipped = 0;
    };

    // What a change of primary is compared across: per group its last-delivered ID and its
    // consumers.
    struct GroupSeen {
        std::string last_delivered_id;
        std::set<std::string> consumers;
    };
    using GroupsSnapshot = std::map<std::string, GroupSeen>;
    // A failover or primary-kill until the new primary is found.
    struct ChangeUnderWay {
        std::size_t event_index;  // into result.events
        std::size_t chaos_event;  // into chaos.events: its tally
        int old_primary;
        std::int64_t started_ns;
        GroupsSnapshot before;
        std::optional<std::uint64_t> watermark;  // primary-kill: read while no primary ran
    };

    // A slot migration left open, or a killed node to restart, until a later tick (DESIGN §11).
    struct ClusterFaultUnderWay {
        workload::FaultKind kind;
        std::size_t event_index;  // into result.events
        std::size_t chaos_event;  // into chaos.events: its tally
        int slot;
        std::string node;  // node-kill: the killed primary
        bool promotes;     // node-kill: a replica is to take over
        std::int64_t started_ns;
        std::int64_t due_ns;  // finish the migration, restart the node, or give up waiting
        bool restarting;      // node-kill: started again, until the cluster is ok
    };

    Outcome run_fault(run::RunControl& control, const ScheduledFault& fault);
    void give_up(run::RunControl& control, const ScheduledFault& fault, const std::string& why);

    // faults.cpp: what each fault does.
    bool kill(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool pause(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool disconnect(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool stop(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool slow(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    void restart_redis(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    // server_faults.cpp: faults on an embedded replicated topology (§7.1).
    bool failover(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool primary_kill(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool replica_stall(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    static GroupsSnapshot read_groups(redis::Connection& connection, const std::string& stream);
    void read_old_primary(run::RunControl& control, ChangeUnderWay& change);
    void serve_primary_changes(run::RunControl& control, std::int64_t now_ns);
    // Waits for a change still under way and resumes every stalled replica.
    void finish_server_faults(run::RunControl& control);
    // Gives the last change of primary what the clients went through since it began.
    void close_client_tally(run::RunControl& control);
    // cluster_faults.cpp: faults on an embedded Redis Cluster, aimed at a shard's slot (§11).
    Outcome run_cluster_fault(run::RunControl& control, const ScheduledFault& fault);
    Outcome slot_migration(run::RunControl& control, const ScheduledFault& fault);
    Outcome cluster_failover(run::RunControl& control, const ScheduledFault& fault);
    Outcome node_kill(run::RunControl& control, const ScheduledFault& fault);
    // Finishes a migration or restarts a killed node when due; all_now: at the end of the run.
    void serve_cluster_fault(run::RunControl& control, std::int64_t now_ns, bool all_now);
    // Starts the killed node again, then follows its rejoin (it comes back as a replica when its
    // slots have a new owner).
    void restart_killed_node(run::RunControl& control, run::TimelineEvent& event,
                             std::int64_t now_ns);
    void finish_cluster_faults(run::RunControl& control);
    void kill_worker(run::RunControl& control, std::size_t index, const workload::FaultEvent& event,
                     double at_s, bool aimed);
    void pause_worker(run::RunControl& control, std::size_t index,
                      const workload::FaultEvent& event, double at_s, bool aimed);

    // aimed.cpp: faults aimed at a window of the batch.
    bool arm(run::RunControl& control, const ScheduledFault& fault);
    void serve_aimed(run::RunControl& control, std::int64_t now_ns, bool giving_up);
    void disarm(run::RunControl& control, std::size_t worker, model::ConsumerWindow window);

    void end_timed_faults(run::RunControl& control, std::int64_t now_ns, bool all);
    void finish_stops(run::RunControl& control, std::int64_t now_ns, bool wait_all);
    void track_recoveries(run::RunControl& control, std::int64_t now_ns);
    void restart_worker(run::RunControl& control, std::size_t worker,
                        workload::RestartPolicy restart, run::TimelineEvent& event);
    std::vector<std::size_t> usable_targets(run::RunControl& control,
                                            const workload::FaultEvent& event);
    // What a worker has pending, over every shard it reads: (stream, entry ID), since two
    // shards' streams may hold the same ID.
    using PendingIds = std::set<std::pair<std::string, std::string>>;
    PendingIds pending_of(run::RunControl& control, const run::Worker& worker);
    // The order numbers of the run's entries among these IDs (read from their streams).
    std::vector<std::uint64_t> ordernos_of(run::RunControl& control, const PendingIds& ids);
    std::size_t record(run::RunControl& control, double at_s, const std::string& kind,
                       const std::string& target, run::EventFacts facts);
    void watch(std::size_t event_index, const run::Worker& worker, const PendingIds& ids);

    std::vector<ScheduledFault> schedule_;
    std::size_t next_ = 0;
    std::mt19937_64 rng_;
    bool scheduled_ = false;
    std::vector<Deferred> deferred_;
    std::vector<Aimed> aimed_;
    std::vector<Timed> paused_;
    std::vector<Timed> slowed_;
    std::vector<Stopping> stopping_;
    std::vector<Recovery> recoveries_;
    std::vector<double> recovery_ms_;
    std::vector<Tally> tallies_;              // by chaos event (index into chaos.events)
    std::vector<ChangeUnderWay> changes_;     // at most one
    std::vector<std::jthread> stall_timers_;  // each resumes its replica when due
    std::vector<int> stalled_nodes_;
    run::ClientTally tally_at_change_;  // the clients' tally when the last change began
    bool tally_open_ = false;           // that change has completed and awaits its tally
    std::optional<ClusterFaultUnderWay> cluster_fault_;  // at most one at a time
    std::size_t next_shard_ = 0;                         // "*/any": the shards in turn
};

// "processing", "applied-unacked"...: the window the worker is in now, per its shared slot;
// nullopt for an external consumer, which publishes none.
std::optional<std::string> window_of(const run::Fleet& fleet, std::size_t worker);
// The worker's index in the fleet (selectors hand workers to their predicates).
std::size_t index_of(const run::Fleet& fleet, const run::Worker& worker);

}  // namespace sh::chaos

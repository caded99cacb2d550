// The chaos controller (DESIGN §6): runs the workload's fault schedule against the consumer
// fleet and Redis while producers run, records every fault in the run's timeline with what its
// target held, and measures how long until someone else acknowledged those entries.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
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
        std::set<std::string> ids;
        std::int64_t since_ns;
    };
    struct Timed {
        std::size_t worker;
        std::int64_t until_ns;
    };
    struct Stopping {
        std::size_t worker;
        workload::FaultRestart restart;
        std::size_t event_index;
        std::int64_t deadline_ns;
    };
    struct Deferred {
        ScheduledFault fault;
        std::int64_t give_up_ns;
    };

    bool run_fault(run::RunControl& control, const ScheduledFault& fault);
    bool kill(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool pause(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool disconnect(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool stop(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    bool slow(run::RunControl& control, const workload::FaultEvent& event, double at_s);
    void restart_redis(run::RunControl& control, const workload::FaultEvent& event, double at_s);

    void end_timed_faults(run::RunControl& control, std::int64_t now_ns, bool all);
    void finish_stops(run::RunControl& control, std::int64_t now_ns, bool wait_all);
    void track_recoveries(run::RunControl& control, std::int64_t now_ns);
    void restart_worker(run::RunControl& control, std::size_t worker,
                        workload::FaultRestart restart, run::TimelineEvent& event);
    std::set<std::string> pending_of(run::RunControl& control, const run::Worker& worker);
    std::size_t record(run::RunControl& control, double at_s, const std::string& kind,
                       const std::string& target, nlohmann::json data);
    void watch(std::size_t event_index, const run::Worker& worker, std::set<std::string> ids);

    std::vector<ScheduledFault> schedule_;
    std::size_t next_ = 0;
    std::mt19937_64 rng_;
    bool scheduled_ = false;
    std::vector<Deferred> deferred_;
    std::vector<Timed> paused_;
    std::vector<Timed> slowed_;
    std::vector<Stopping> stopping_;
    std::vector<Recovery> recoveries_;
    std::vector<double> recovery_ms_;
};

}  // namespace sh::chaos

// Agents sharing one run (DESIGN §11.1) meet in the target Redis, in sh:{<run-id>}:agents: a
// hash of agent index -> where that agent is. Agent 1 creates the run's keys and record; every
// agent arrives (twice is refused), starts its consumers, and starts producing once every agent
// reads (the start barrier). Each says when its load is over, so that no agent ends its drain
// (and stops its consumers) while another still produces.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/model/agent_share.hpp"
#include "harness/os/stop_signals.hpp"
#include "harness/redis/connection.hpp"
#include "harness/run/run_record.hpp"

namespace sh::run {

struct AgentState {
    int index = 0;
    std::string host;
    std::int64_t pid = 0;
    std::string boot_id;  // one kernel boot: one CLOCK_MONOTONIC
    // "arrived", "reading", "loaded", "done" or "error"
    std::string phase;
    std::uint64_t orders_allocated = 0;  // in its own sequence
    std::uint64_t orders_produced_ok = 0;
};

// Every agent of the run that arrived, in index order (what `merge` and `verify --run-id`
// check the agents' reports and progress against).
std::vector<AgentState> read_agents(redis::Connection& connection, const std::string& run_id);

// This host's name and kernel boot id (/proc/sys/kernel/random/boot_id).
std::string this_host();
std::string this_boot_id();

class AgentBarrier {
  public:
    AgentBarrier(redis::Connection& connection, std::string run_id, model::AgentShare share,
                 std::chrono::milliseconds timeout);

    // Agents other than 1: waits for agent 1's record of the run, and checks that it runs the
    // same workload with as many agents (else WorkloadError naming the difference).
    RunRecord await_record(const workload::Workload& workload, const os::StopSignals& stop);
    // Arrives (EnvironmentError when this index arrived already: an agent started twice).
    void arrive();
    // Waits until every agent has arrived; returns their states, in index order.
    std::vector<AgentState> await_arrivals(const os::StopSignals& stop);
    // Says that its consumers read, and waits until every agent's do.
    void await_reading(const os::StopSignals& stop);
    // Records its phase and its producers' progress (cumulative).
    void set_phase(const std::string& phase, std::uint64_t allocated = 0,
                   std::uint64_t produced_ok = 0);
    // The agents whose load is not over ("2/3, 3/3"; empty once every agent's load ended or
    // it failed: nothing more will be produced).
    std::string not_loaded();
    // The agents that run under this agent's clock (the same boot id; itself always).
    model::SharedClock clock(const std::vector<AgentState>& agents) const;

    std::vector<AgentState> read();  // every agent that arrived, in index order

  private:
    // Polls until every agent is `there`; on timeout, EnvironmentError naming the ones that
    // are not and where the others are. An agent that failed ends the wait at once.
    std::vector<AgentState> wait_for(const std::string& what, const os::StopSignals& stop,
                                     const std::function<bool(const AgentState&)>& there);
    std::string encode(const std::string& phase, std::uint64_t allocated,
                       std::uint64_t produced_ok) const;

    redis::Connection& connection_;
    std::string run_id_;
    std::string key_;
    model::AgentShare share_;
    std::chrono::milliseconds timeout_;
};

}  // namespace sh::run

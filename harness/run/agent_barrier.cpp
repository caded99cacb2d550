#include "harness/run/agent_barrier.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/errors.hpp"
#include "harness/model/keys.hpp"

namespace sh::run {

namespace {

constexpr auto poll_interval = std::chrono::milliseconds(50);

int rank_of(const std::string& phase) {
    for (int rank = 0; const char* known : {"arrived", "reading", "loaded", "done"}) {
        if (phase == known) return rank;
        ++rank;
    }
    return -1;  // "error"
}

}  // namespace

std::string this_host() {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
    return name;
}

std::string this_boot_id() {
    std::ifstream file("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(file, id);
    return id;
}

AgentBarrier::AgentBarrier(redis::Connection& connection, std::string run_id,
                           model::AgentShare share, std::chrono::milliseconds timeout)
    : connection_(connection),
      run_id_(std::move(run_id)),
      key_(model::RunKeys::agents_key(run_id_)),
      share_(share),
      timeout_(timeout) {}

RunRecord AgentBarrier::await_record(const workload::Workload& workload,
                                     const os::StopSignals& stop) {
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        if (auto record = read_record(connection_, run_id_)) {
            if (record->agents != share_.count) {
                throw WorkloadError({"--agent " + share_.label() + ": run " + run_id_ +
                                     " was started by agent 1 for " +
                                     std::to_string(record->agents) + " agents"});
            }
            if (recorded_workload(workload) != recorded_workload(record->workload) ||
                consumer_env_digest(workload) != record->consumer_env_digest) {
                throw WorkloadError({"--agent " + share_.label() +
                                     ": this workload differs from "
                                     "agent 1's for run " +
                                     run_id_ +
                                     " (every agent needs the same file and --set overrides)"});
            }
            return *record;
        }
        if (stop.requested()) {
            throw EnvironmentError("interrupted by signal " + std::to_string(stop.signal_number()));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw EnvironmentError(
                "agent 1/" + std::to_string(share_.count) + ", which creates the keys of run " +
                run_id_ + ", did not start it on " + connection_.endpoint().redacted() +
                " within " + std::to_string(timeout_.count() / 1000) + " s (--agent-timeout-s)");
        }
        std::this_thread::sleep_for(poll_interval);
    }
}

std::string AgentBarrier::encode(const std::string& phase, std::uint64_t allocated,
                                 std::uint64_t produced_ok) const {
    return nlohmann::json{
        {"host", this_host()},           {"pid", static_cast<std::int64_t>(getpid())},
        {"boot_id", this_boot_id()},     {"phase", phase},
        {"orders_allocated", allocated}, {"orders_produced_ok", produced_ok}}
        .dump();
}

std::vector<AgentState> AgentBarrier::read() {
    return read_agents(connection_, run_id_);
}

std::vector<AgentState> read_agents(redis::Connection& connection, const std::string& run_id) {
    auto key = model::RunKeys::agents_key(run_id);
    auto reply = connection.command({"HGETALL", key});
    redis::ReplyView view(reply.get());
    std::vector<AgentState> agents;
    for (std::size_t i = 0; i + 1 < view.size(); i += 2) {
        try {
            auto document = nlohmann::json::parse(view.element(i + 1).text());
            AgentState state;
            state.index = std::stoi(std::string(view.element(i).text()));
            state.host = document.at("host").get<std::string>();
            state.pid = document.at("pid").get<std::int64_t>();
            state.boot_id = document.at("boot_id").get<std::string>();
            state.phase = document.at("phase").get<std::string>();
            state.orders_allocated = document.at("orders_allocated").get<std::uint64_t>();
            state.orders_produced_ok = document.at("orders_produced_ok").get<std::uint64_t>();
            agents.push_back(std::move(state));
        } catch (const std::exception& error) {
            throw EnvironmentError(key + " is damaged (field " +
                                   std::string(view.element(i).text()) + "): " + error.what());
        }
    }
    std::sort(agents.begin(), agents.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    return agents;
}

std::vector<AgentState> AgentBarrier::wait_for(
    const std::string& what, const os::StopSignals& stop,
    const std::function<bool(const AgentState&)>& there) {
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        auto agents = read();
        std::string missing;
        std::string present;
        for (int index = 1; index <= share_.count; ++index) {
            auto found = std::find_if(agents.begin(), agents.end(),
                                      [&](const auto& agent) { return agent.index == index; });
            auto label = std::to_string(index) + "/" + std::to_string(share_.count);
            if (found != agents.end() && found->phase == "error") {
                throw EnvironmentError("agent " + label + " of run " + run_id_ + " (on " +
                                       found->host + ", pid " + std::to_string(found->pid) +
                                       ") failed: see its report");
            }
            if (found == agents.end() || !there(*found)) {
                missing += (missing.empty() ? "" : ", ") + label;
            } else {
                present += (present.empty() ? "" : ", ") + label + " on " + found->host;
            }
        }
        if (missing.empty()) return agents;
        if (stop.requested()) {
            throw EnvironmentError("interrupted by signal " + std::to_string(stop.signal_number()));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw EnvironmentError(
                "agents " + missing + " of run " + run_id_ + " did not " + what + " within " +
                std::to_string(timeout_.count() / 1000) +
                " s (--agent-timeout-s); there: " + (present.empty() ? "none" : present) +
                ". The run's keys stay for the others: remove them with streamharness cleanup "
                "--run-id " +
                run_id_);
        }
        std::this_thread::sleep_for(poll_interval);
    }
}

void AgentBarrier::arrive() {
    auto field = std::to_string(share_.index);
    auto reply = connection_.command({"HSETNX", key_, field, encode("arrived", 0, 0)});
    if (redis::ReplyView(reply.get()).integer() == 0) {
        auto agents = read();
        auto there = std::find_if(agents.begin(), agents.end(),
                                  [&](const auto& agent) { return agent.index == share_.index; });
        throw EnvironmentError(
            "agent " + share_.label() + " of run " + run_id_ + " is there already" +
            (there == agents.end()
                 ? std::string()
                 : " (on " + there->host + ", pid " + std::to_string(there->pid) + ")") +
            ": each agent index runs once per run");
    }
}

std::vector<AgentState> AgentBarrier::await_arrivals(const os::StopSignals& stop) {
    return wait_for("arrive", stop, [](const AgentState&) { return true; });
}

void AgentBarrier::await_reading(const os::StopSignals& stop) {
    set_phase("reading");
    wait_for("start their consumers", stop,
             [](const AgentState& agent) { return rank_of(agent.phase) >= rank_of("reading"); });
}

void AgentBarrier::set_phase(const std::string& phase, std::uint64_t allocated,
                             std::uint64_t produced_ok) {
    connection_.command(
        {"HSET", key_, std::to_string(share_.index), encode(phase, allocated, produced_ok)});
}

std::string AgentBarrier::not_loaded() {
    auto agents = read();
    std::string missing;
    for (int index = 1; index <= share_.count; ++index) {
        auto found = std::find_if(agents.begin(), agents.end(),
                                  [&](const auto& agent) { return agent.index == index; });
        bool over = found != agents.end() &&
                    (found->phase == "error" || rank_of(found->phase) >= rank_of("loaded"));
        if (!over) {
            missing += (missing.empty() ? "" : ", ") + std::to_string(index) + "/" +
                       std::to_string(share_.count);
        }
    }
    return missing;
}

model::SharedClock AgentBarrier::clock(const std::vector<AgentState>& agents) const {
    std::vector<bool> same_clock(static_cast<std::size_t>(share_.count), false);
    auto own = this_boot_id();
    for (const auto& agent : agents) {
        same_clock[static_cast<std::size_t>(agent.index - 1)] =
            !own.empty() && agent.boot_id == own;
    }
    // Its own orders are on its own clock, whatever the boot id says.
    same_clock[static_cast<std::size_t>(share_.index - 1)] = true;
    return model::SharedClock(std::move(same_clock));
}

}  // namespace sh::run

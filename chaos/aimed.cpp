// Faults aimed at a window of the batch (`chaos.events[].window`). Sampling where a consumer
// happens to be would rarely catch the narrow windows that matter (an effect applied and not
// yet acknowledged lasts one round trip), so the controller arms the targets instead: each
// stops itself with SIGSTOP the next time it enters the window, and the fault lands there.
#include <signal.h>

#include <algorithm>
#include <thread>

#include "chaos/controller.hpp"
#include "harness/measure/clock.hpp"

namespace sh::chaos {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
constexpr std::int64_t give_up_ns = 2'000 * ns_per_ms;

bool armable(const run::Fleet& fleet, std::size_t index) {
    const auto& slot = fleet.slot(index);
    return fleet.usable(index) && slot.control.park_in_window.load() < 0 &&
           slot.state.parked.load() < 0;
}

// The worker sets `parked` and then raises SIGSTOP: a pause must wait for the stop itself, or
// its SIGCONT could come first and leave the worker stopped for good.
bool wait_until_stopped(const run::Fleet& fleet, std::size_t index) {
    auto deadline = measure::monotonic_ns() + 1'000 * ns_per_ms;
    while (!fleet.stopped(index)) {
        if (!fleet.running(index) || measure::monotonic_ns() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

}  // namespace

bool ChaosController::arm(run::RunControl& control, const ScheduledFault& fault) {
    const auto& event = control.workload.chaos.events[fault.event];
    auto& fleet = control.fleet;
    // "group/any" arms every candidate and takes the first to get there.
    bool first_only = event.target.ends_with("/any");
    auto selector =
        first_only ? event.target.substr(0, event.target.size() - 3) + "all" : event.target;
    auto targets = select_targets(
        selector, fleet.workers(),
        [&](const run::Worker& worker) { return armable(fleet, index_of(fleet, worker)); }, rng_);
    if (targets.empty()) return false;
    auto window = static_cast<std::int64_t>(*event.window);
    for (auto index : targets) fleet.control(index).park_in_window.store(window);
    aimed_.push_back(
        {fault, std::move(targets), first_only, false, measure::monotonic_ns() + give_up_ns});
    return true;
}

void ChaosController::disarm(run::RunControl& control, std::size_t index,
                             model::ConsumerWindow window) {
    auto& fleet = control.fleet;
    auto armed = static_cast<std::int64_t>(window);
    if (fleet.control(index).park_in_window.compare_exchange_strong(armed, -1)) return;
    // The worker took the arm just now: it is stopping itself; let it go on.
    if (wait_until_stopped(fleet, index)) fleet.thaw(index);
}

void ChaosController::serve_aimed(run::RunControl& control, std::int64_t now_ns, bool giving_up) {
    auto& fleet = control.fleet;
    std::erase_if(aimed_, [&](Aimed& aimed) {
        const auto& event = control.workload.chaos.events[aimed.fault.event];
        auto window = *event.window;
        auto parked = [&](std::size_t index) {
            return fleet.slot(index).state.parked.load() == static_cast<std::int64_t>(window);
        };
        std::erase_if(aimed.workers, [&](std::size_t index) { return !fleet.running(index); });
        // Several may have stopped in the window since the last tick: "any" takes the one that
        // got there first, the others are let go below.
        std::vector<std::size_t> arrived;
        for (auto index : aimed.workers) {
            if (parked(index)) arrived.push_back(index);
        }
        std::sort(arrived.begin(), arrived.end(), [&](std::size_t a, std::size_t b) {
            return fleet.slot(a).state.parked_ns.load() < fleet.slot(b).state.parked_ns.load();
        });
        // Faults land only while producers run.
        for (auto index : arrived) {
            if (giving_up || (aimed.landed && aimed.first_only)) break;
            if (event.fault == workload::FaultKind::kill) {
                kill_worker(control, index, event, aimed.fault.at_s, true);
            } else if (wait_until_stopped(fleet, index)) {
                pause_worker(control, index, event, aimed.fault.at_s, true);
            } else {
                continue;
            }
            aimed.landed = true;
            std::erase(aimed.workers, index);
        }
        bool done = aimed.workers.empty() || (aimed.landed && aimed.first_only) || giving_up ||
                    now_ns >= aimed.give_up_ns;
        if (!done) return false;
        for (auto index : aimed.workers) disarm(control, index, window);
        if (aimed.landed) {
            ++tallies_[aimed.fault.event].landed;
        } else {
            give_up(control, aimed.fault,
                    "no target entered the window " + std::string(model::to_string(window)) +
                        (giving_up ? " before the producers stopped" : " within 2 s"));
        }
        return true;
    });
}

}  // namespace sh::chaos

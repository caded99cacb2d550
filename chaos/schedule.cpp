#include "chaos/schedule.hpp"

#include <algorithm>
#include <random>

namespace sh::chaos {

std::vector<ScheduledFault> expand_schedule(const workload::ChaosSpec& spec, double run_s) {
    std::mt19937_64 rng(spec.seed);
    std::vector<ScheduledFault> schedule;
    for (std::size_t i = 0; i < spec.events.size(); ++i) {
        const auto& event = spec.events[i];
        std::uniform_real_distribution<double> jitter(-event.jitter_s, event.jitter_s);
        auto jittered = [&](double at) {
            return event.jitter_s > 0 ? std::max(0.0, at + jitter(rng)) : at;
        };
        if (event.at_s) {
            schedule.push_back({jittered(*event.at_s), i});
            continue;
        }
        double until = event.until_s > 0 ? std::min(event.until_s, run_s) : run_s;
        for (double at = event.start_s; at < until; at += *event.every_s) {
            auto when = jittered(at);
            if (when < until) schedule.push_back({when, i});
        }
    }
    std::stable_sort(
        schedule.begin(), schedule.end(),
        [](const ScheduledFault& a, const ScheduledFault& b) { return a.at_s < b.at_s; });
    return schedule;
}

}  // namespace sh::chaos

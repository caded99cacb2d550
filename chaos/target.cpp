#include "chaos/target.hpp"

namespace sh::chaos {

std::vector<std::size_t> select_targets(const std::string& selector,
                                        const std::vector<run::Worker>& workers,
                                        const std::function<bool(const run::Worker&)>& eligible,
                                        std::mt19937_64& rng) {
    auto slash = selector.find('/');
    auto group = selector.substr(0, slash);
    auto which = slash == std::string::npos ? std::string("any") : selector.substr(slash + 1);
    std::vector<std::size_t> matches;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        const auto& worker = workers[i];
        if (group != "*" && worker.group != group) continue;
        if (which != "any" && which != "all" && std::to_string(worker.index) != which) continue;
        if (eligible(worker)) matches.push_back(i);
    }
    if (which == "any" && matches.size() > 1) {
        std::uniform_int_distribution<std::size_t> pick(0, matches.size() - 1);
        return {matches[pick(rng)]};
    }
    return matches;
}

}  // namespace sh::chaos

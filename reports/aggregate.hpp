// --repeat N: one report from N runs of the same workload, so a regression comparison is not
// made from one noisy sample. It has the shape of a run report where that makes sense
// (throughput and a max-rate run's sustained rate as the mean over runs, latency from the runs'
// merged histograms, verification counts summed, each gate at its worst run; what no run
// measured stays null) plus "repeat": every run's headline numbers and the best and worst run
// per metric.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sh::reports {

// reports[i] was written to paths[i]; the aggregate is named aggregate_id. Throws
// std::invalid_argument when reports is empty.
nlohmann::json aggregate_reports(const std::vector<nlohmann::json>& reports,
                                 const std::vector<std::string>& paths,
                                 const std::string& aggregate_id);

}  // namespace sh::reports

// The latency distributions a comparison reads from a report's serialised histograms, for its
// percentile rows (compare.cpp) and its percentile curves (compare_html.cpp) alike.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/measure/histogram.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using HistogramPtr = std::unique_ptr<measure::Histogram>;

// The merge of the serialised histograms at `paths`; null when one is missing, so a row shows
// n/a instead of a latency made of part of the deliveries. A malformed one throws WorkloadError
// naming `role` ("base", "candidate") and the path.
HistogramPtr merged_histogram(const nlohmann::json& report, const std::vector<Path>& paths,
                              const std::string& role);

// Every applied order is a first delivery or a recovered one: merging both gives true end-to-end
// percentiles, also over the runs of an aggregate (never averaged percentiles).
std::vector<Path> end_to_end_paths(const std::string& group);
Path recovered_path(const std::string& group);

}  // namespace sh::reports

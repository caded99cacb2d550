// The latency distributions a comparison reads: see compare_histograms.hpp.
#include "reports/compare_histograms.hpp"

#include <exception>

#include "harness/errors.hpp"
#include "reports/report_keys.hpp"

namespace sh::reports {

using nlohmann::json;

HistogramPtr merged_histogram(const json& report, const std::vector<Path>& paths,
                              const std::string& role) {
    auto merged = std::make_unique<measure::Histogram>();  // ~180 KB: not on the stack
    for (const auto& path : paths) {
        const json* serialised = find_path(report, path);
        if (serialised == nullptr) return nullptr;
        try {
            merged->merge_json(*serialised);
        } catch (const std::exception& error) {  // a layout mismatch or a malformed field
            throw input_error({role + " report: " + dotted(path) + ": " + error.what()});
        }
    }
    return merged;
}

Path recovered_path(const std::string& group) {
    return {key::histograms, key::groups, group, key::recovered};
}

std::vector<Path> end_to_end_paths(const std::string& group) {
    return {{key::histograms, key::groups, group, key::first_delivery}, recovered_path(group)};
}

}  // namespace sh::reports

// What parse_workload says about a document: the helpers the workload tests share.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/errors.hpp"
#include "harness/workload/workload_json.hpp"

namespace sh::testing {

// The problems parse_workload reports; empty when it accepted the document.
inline std::vector<std::string> problems_of(const nlohmann::json& document,
                                            const std::vector<std::string>& overrides = {}) {
    try {
        workload::parse_workload(document, overrides);
    } catch (const WorkloadError& error) {
        return error.problems();
    }
    return {};
}

inline bool has_problem_starting(const std::vector<std::string>& problems,
                                 const std::string& prefix) {
    for (const auto& problem : problems) {
        if (problem.rfind(prefix, 0) == 0) return true;
    }
    return false;
}

inline std::string joined(const std::vector<std::string>& problems) {
    std::string text;
    for (const auto& problem : problems) text += problem + "\n";
    return text;
}

}  // namespace sh::testing

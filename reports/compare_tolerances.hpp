// Shared by compare.cpp and compare_tolerances.cpp only; the public API is in compare.hpp.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "reports/compare.hpp"

namespace sh::reports {

// One of the fraction-valued tolerances, as a member of CompareTolerances.
using ToleranceField = std::optional<double> CompareTolerances::*;

// The same keys load_tolerances reads, so a comparison's tolerances can be saved and reused.
nlohmann::json tolerances_json(const CompareTolerances& tolerances);

}  // namespace sh::reports

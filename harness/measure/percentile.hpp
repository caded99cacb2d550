// The percentile of a handful of samples (recovery times per fault), where a histogram would be
// more machinery than data. Shared by the chaos summary and the --repeat aggregate so both
// report the same statistic.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace sh::measure {

// Nearest rank over the sorted values (percent in [0, 100]); 0 when there are none.
inline double percentile(std::vector<double> values, double percent) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    auto rank =
        static_cast<std::size_t>(percent / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(rank, values.size() - 1)];
}

}  // namespace sh::measure

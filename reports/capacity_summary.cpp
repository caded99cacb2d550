#include "reports/capacity_summary.hpp"

#include <sstream>

#include "reports/report_keys.hpp"

namespace sh::reports {

using nlohmann::json;

std::string capacity_step_line(const json& step) {
    std::ostringstream text;
    if (step.contains(key::consumers)) {
        text << "step " << step[key::consumers].get<int>() << " consumers per group at ";
    } else {
        text << "step ";
    }
    text << step[key::rate].get<double>() << " orders/s: "
         << (step[key::passed].get<bool>() ? "meets the SLO"
                                           : "misses: " + step[key::reason].get<std::string>())
         << " (produced " << static_cast<long long>(step[key::achieved_per_s].get<double>())
         << "/s, p99 " << step[key::worst_p99_ms].get<double>() << " ms, max lag "
         << step[key::max_lag].get<std::int64_t>() << ")\n";
    return text.str();
}

namespace {

// "(p99 <= 10 ms, lag <= 1000, lost <= 0)"
std::string slo_text(const json& slo) {
    std::ostringstream text;
    text << "(p99 <= " << slo[key::max_p99_ms].get<double>()
         << " ms, lag <= " << slo[key::max_lag].get<std::int64_t>()
         << ", lost <= " << slo[key::max_lost].get<std::uint64_t>() << ")";
    return text.str();
}

std::string consumers_answer(const json& capacity) {
    std::ostringstream text;
    const auto& consumers = capacity[key::answer][key::consumers];
    text << "capacity: ";
    if (consumers.is_null()) {
        text << "not even " << capacity[key::range][key::max_consumers].get<int>()
             << " consumers per group meet";
    } else {
        text << consumers.get<int>() << " consumers per group meet";
    }
    text << " the SLO at " << capacity[key::rate].get<double>() << " orders/s "
         << slo_text(capacity[key::slo])
         << (consumers.is_null() ? "" : ", confirmed by a second run") << "\n";
    return text.str();
}

std::string rate_answer(const json& capacity) {
    std::ostringstream text;
    const auto& rate = capacity[key::answer][key::rate];
    if (rate.is_null()) {
        text << "capacity: not even " << capacity[key::range][key::min_rate].get<double>()
             << " orders/s meets the SLO\n";
        return text.str();
    }
    bool at_ceiling = capacity[key::answer].value(key::at_ceiling, false);
    text << "capacity: " << (at_ceiling ? ">= " : "") << rate.get<double>()
         << " orders/s meets the SLO " << slo_text(capacity[key::slo])
         << ", confirmed by a second run";
    if (at_ceiling) text << "; that is --max-rate: no step failed, the knee is above it";
    text << "\n";
    return text.str();
}

}  // namespace

std::string capacity_summary(const json& capacity, const std::filesystem::path& report,
                             const std::filesystem::path& chart) {
    std::string text;
    if (!capacity.value(key::stopped, json()).is_null()) {
        text = "capacity: " + capacity[key::stopped].get<std::string>() + "\n";
    } else if (capacity.value(key::search, "") == key::consumers) {
        text = consumers_answer(capacity);
    } else {
        text = rate_answer(capacity);
    }
    return text + "report: " + report.string() + "\nchart: " + chart.string() + "\n";
}

}  // namespace sh::reports

// Tolerances for `streamharness compare`: "5%"-style values from flags and files, and the
// tolerances' JSON form that a comparison records. See compare.hpp.
#include "reports/compare_tolerances.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

#include "harness/errors.hpp"
#include "reports/compare.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

struct FractionKey {
    const char* name;
    ToleranceField field;
};

// The fraction-valued tolerances under their file key, which is also their key in the output.
constexpr std::array<FractionKey, 5> fraction_keys{{
    {"max_throughput_drop", &CompareTolerances::max_throughput_drop},
    {"max_p50_rise", &CompareTolerances::max_p50_rise},
    {"max_p99_rise", &CompareTolerances::max_p99_rise},
    {"max_recovery_rise", &CompareTolerances::max_recovery_rise},
    {"max_redis_cpu_rise", &CompareTolerances::max_redis_cpu_rise},
}};

std::string_view trimmed(std::string_view text) {
    auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// One rule for flags and file numbers, so "10" is refused the same way everywhere.
double checked_fraction(double value, bool percent, const std::string& text,
                        const std::string& what) {
    if (value < 0) {
        throw input_error(
            {what + ": " + text + " is negative (a tolerance is an allowed worsening)"});
    }
    if (!percent && value > 1) {
        throw input_error({what + ": " + text + " is ambiguous: write " + text +
                           "% for a percentage, or a fraction up to 1"});
    }
    return percent ? value / 100 : value;
}

void set_fraction(std::optional<double>& field, const json& value, const std::string& what) {
    if (value.is_null()) {
        field.reset();
    } else if (value.is_string()) {
        field = parse_tolerance(value.get<std::string>(), what);
    } else if (value.is_number()) {
        field = checked_fraction(value.get<double>(), false, value.dump(), what);
    } else {
        throw input_error({what + ": expected \"5%\", a fraction like 0.05, or null"});
    }
}

void set_tolerance(CompareTolerances& tolerances, const std::string& key, const json& value,
                   const std::string& what) {
    for (const auto& [name, field] : fraction_keys) {
        if (key == name) return set_fraction(tolerances.*field, value, what);
    }
    if (key == "min_latency_delta_ms") {
        if (!value.is_number() || value.get<double>() < 0) {
            throw input_error({what + ": expected a number of milliseconds, 0 or more"});
        }
        tolerances.min_latency_delta_ms = value.get<double>();
    } else if (key == "allow_different_workloads") {
        if (!value.is_boolean()) throw input_error({what + ": expected true or false"});
        tolerances.allow_different_workloads = value.get<bool>();
    } else {
        throw input_error({what + ": unknown key"});
    }
}

}  // namespace

json tolerances_json(const CompareTolerances& tolerances) {
    json out = json::object();
    for (const auto& [name, field] : fraction_keys) {
        const auto& value = tolerances.*field;
        out[name] = value ? json(*value) : json(nullptr);
    }
    out["min_latency_delta_ms"] = tolerances.min_latency_delta_ms;
    out["allow_different_workloads"] = tolerances.allow_different_workloads;
    return out;
}

double parse_tolerance(const std::string& text, const std::string& what) {
    auto body = trimmed(text);
    bool percent = body.ends_with('%');
    if (percent) body = trimmed(body.substr(0, body.size() - 1));
    double value = 0;
    auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), value);
    if (body.empty() || error != std::errc() || end != body.data() + body.size() ||
        !std::isfinite(value)) {
        throw input_error({what + ": \"" + text + "\" is not a tolerance (write 5%, 5 % or 0.05)"});
    }
    return checked_fraction(value, percent, std::string(trimmed(text)), what);
}

CompareTolerances load_tolerances(const std::string& path, CompareTolerances defaults) {
    std::ifstream input(path);
    if (!input) throw input_error({path + ": cannot open"});
    auto file = json::parse(input, nullptr, false);
    if (file.is_discarded()) throw input_error({path + ": invalid JSON"});
    if (!file.is_object()) throw input_error({path + ": expected an object of tolerances"});
    std::vector<std::string> problems;
    for (const auto& [key, value] : file.items()) {
        try {
            set_tolerance(defaults, key, value, path + ": " + key);
        } catch (const WorkloadError& error) {
            problems.insert(problems.end(), error.problems().begin(), error.problems().end());
        }
    }
    if (!problems.empty()) throw input_error(problems);
    return defaults;
}

}  // namespace sh::reports

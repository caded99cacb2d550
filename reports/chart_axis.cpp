// The axis arithmetic: see chart_axis.hpp.
#include "reports/chart_axis.hpp"

#include <cmath>
#include <optional>

#include "reports/html_page.hpp"

namespace sh::reports::html {

namespace {

double nice_step(double rough) {
    double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    for (double multiple : {1.0, 2.0, 5.0}) {
        if (multiple * magnitude >= rough * (1 - 1e-9)) return multiple * magnitude;
    }
    return 10 * magnitude;
}

Axis linear_axis(const std::vector<double>& values, int tick_count) {
    double low = 0;  // rates, counts and cores read best from zero
    double high = 0;
    for (double value : values) {
        low = std::min(low, value);
        high = std::max(high, value);
    }
    if (high - low <= 0) high = low + 1;
    double step = nice_step((high - low) / tick_count);
    Axis axis{Scale::linear, std::floor(low / step) * step, std::ceil(high / step) * step, {}};
    int decimals = static_cast<int>(-std::floor(std::log10(step) + 1e-9));
    auto steps = std::lround((axis.high - axis.low) / step);
    for (long k = 0; k <= steps; ++k) {
        double at = axis.low + static_cast<double>(k) * step;
        if (std::fabs(at) < step * 1e-9) at = 0;
        axis.ticks.push_back({at, format_number(decimals, at)});
    }
    return axis;
}

Axis log_axis(const std::vector<double>& values) {
    std::optional<double> low;
    std::optional<double> high;
    for (double value : values) {
        if (value <= 0) continue;
        low = std::min(low.value_or(value), value);
        high = std::max(high.value_or(value), value);
    }
    int first = low ? static_cast<int>(std::floor(std::log10(*low))) : 0;
    int last = high ? static_cast<int>(std::ceil(std::log10(*high))) : 1;
    if (last <= first) last = first + 1;
    Axis axis{Scale::log, static_cast<double>(first), static_cast<double>(last), {}};
    // Over few decades, 2x and 5x ticks keep the axis readable.
    auto multiples = last - first <= 2 ? std::vector<double>{1, 2, 5} : std::vector<double>{1};
    for (int exponent = first; exponent <= last; ++exponent) {
        for (double multiple : multiples) {
            if (exponent == last && multiple > 1) break;
            axis.ticks.push_back({exponent + std::log10(multiple),
                                  format_number(-exponent, multiple * std::pow(10.0, exponent))});
        }
    }
    return axis;
}

Axis percentile_axis(const std::vector<double>& values) {
    double nines = 1;
    for (double value : values) {
        nines = std::max(nines, std::ceil(transform(Scale::hdr_percentile, value) - 1e-9));
    }
    Axis axis{Scale::hdr_percentile, 0, std::min(nines, 7.0), {}};
    for (int nine = 0; nine <= static_cast<int>(axis.high); ++nine) {
        double percent = 100.0 * (1.0 - std::pow(10.0, -nine));
        axis.ticks.push_back({static_cast<double>(nine), format_number(nine - 2, percent) + "%"});
    }
    return axis;
}

}  // namespace

double transform(Scale scale, double value) {
    switch (scale) {
        case Scale::log:
            return std::log10(std::max(value, 1e-12));
        // The HDR convention: 90 % at 1, 99 % at 2, 99.9 % at 3 ...
        case Scale::hdr_percentile:
            return -std::log10(std::max(1.0 - value / 100.0, 1e-12));
        case Scale::linear:
            break;
    }
    return value;
}

Axis fit_axis(Scale scale, const std::vector<double>& values, int tick_count) {
    switch (scale) {
        case Scale::log:
            return log_axis(values);
        case Scale::hdr_percentile:
            return percentile_axis(values);
        case Scale::linear:
            break;
    }
    return linear_axis(values, tick_count);
}

Axis end_axis_at(Axis axis, double high) {
    double end = transform(axis.scale, high);
    if (end <= axis.low) return axis;  // nothing right of the axis's start: keep the fit
    axis.high = end;
    double slack = 1e-9 * (axis.high - axis.low);
    std::erase_if(axis.ticks, [&](const Tick& tick) { return tick.at > axis.high + slack; });
    return axis;
}

}  // namespace sh::reports::html

// Chart axes: a scale maps values to a space where ticks are evenly spaced, and fit_axis picks
// the range and the ticks (nice linear steps, decades on log scales, nines on the HDR percentile
// scale) for a chart's values. Pure arithmetic: knows nothing of SVG.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace sh::reports::html {

enum class Scale { linear, log, hdr_percentile };

double transform(Scale scale, double value);

struct Tick {
    double at;  // transformed value
    std::string label;
};

struct Axis {
    Scale scale = Scale::linear;
    double low = 0;  // transformed
    double high = 1;
    std::vector<Tick> ticks;

    double fraction_at(double transformed) const { return (transformed - low) / (high - low); }
    // Values outside the axis (a 0 on a log axis) are drawn on its edge.
    double fraction(double value) const {
        return std::clamp(fraction_at(transform(scale, value)), 0.0, 1.0);
    }
};

// An axis over `values`; tick_count is a target for linear axes (log and percentile axes tick
// at decades and nines).
Axis fit_axis(Scale scale, const std::vector<double>& values, int tick_count);
// The axis cut (or stretched) to end at `high` (untransformed), without the ticks beyond it.
Axis end_axis_at(Axis axis, double high);

}  // namespace sh::reports::html

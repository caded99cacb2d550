// The chart model (series, markers, bands, guides; linear, log or HDR-percentile scales, see
// chart_axis.hpp) and the one renderer every chart of both HTML pages goes through. Charts are
// inline SVG drawn here, so the pages work offline and in CI artifact viewers. Every plotted
// series carries its raw numbers (data-series/data-values, and charts_data for the report-data
// script) so tests and scripts can check what a chart shows without reading pixels.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "reports/chart_axis.hpp"

namespace sh::reports::html {

enum class Style { line, dashed, points };

struct Point {
    double x;
    std::optional<double> y;  // nullopt: a gap in the line
};

struct Series {
    std::string name;
    std::vector<Point> points;
    std::string colour;
    Style style = Style::line;
};

struct Marker {  // a vertical line, e.g. a fault event; the legend has one entry per kind
    double x;
    std::string kind;
    std::string label;
    std::string colour;
};

struct Band {  // a shaded x range, e.g. the drain phase
    double from;
    double to;
    std::string label;
};

// A shaded x range in its kind's colour, e.g. a fault that lasts (a pause, a slowdown, an outage);
// the legend has one entry per kind, shared with markers of that kind.
struct Span {
    double from;
    double to;
    std::string kind;
    std::string label;
    std::string colour;
};

struct Guide {  // a horizontal line, e.g. an SLO limit
    double y;
    std::string label;
};

struct Chart {
    std::string id;  // no '/': data-series is "<id>/<series name>"
    std::string title;
    std::string x_label;
    std::string y_label;
    Scale x_scale = Scale::linear;
    Scale y_scale = Scale::linear;
    std::vector<Series> series;
    std::vector<Marker> markers;
    std::vector<Band> bands;
    std::vector<Guide> guides;
    std::vector<std::string> notes;  // shown under the chart, e.g. why a series is missing
    std::vector<Span> spans;
    // When set, the x axis ends here rather than at the next round tick: a timeline ends with
    // the run. Spans and bands reaching beyond are cut at the edge.
    std::optional<double> x_end;
};

Chart make_chart(std::string id, std::string title, std::string x_label, std::string y_label,
                 Scale x_scale, Scale y_scale);

// The series colour for the index-th group.
std::string palette(std::size_t index);

// The chart as a <figure>: caption, SVG (legend, axes, bands, spans, guides, markers, series),
// notes. The <svg> carries data-x-max, the value at the x axis's right end.
std::string render_chart(const Chart& chart);

// Every chart's series for the report-data script: chart id -> series name -> [[x, y or null]].
nlohmann::json charts_data(std::initializer_list<const Chart*> charts);

}  // namespace sh::reports::html

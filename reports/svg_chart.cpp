// The one chart renderer: see svg_chart.hpp. The legend, bands, guides, markers and series are
// drawn on one fixed-width frame whose axes chart_axis fits to the chart's values.
#include "reports/svg_chart.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "reports/html_page.hpp"

namespace sh::reports::html {

using nlohmann::json;

namespace {

constexpr const char* guide_colour = "#c62828";
constexpr const char* band_colour = "#9ca3af";

std::vector<double> x_values(const Chart& chart) {
    std::vector<double> values;
    for (const auto& series : chart.series) {
        for (const auto& point : series.points) values.push_back(point.x);
    }
    for (const auto& marker : chart.markers) values.push_back(marker.x);
    for (const auto& band : chart.bands) values.insert(values.end(), {band.from, band.to});
    for (const auto& span : chart.spans) values.insert(values.end(), {span.from, span.to});
    return values;
}

std::vector<double> y_values(const Chart& chart) {
    std::vector<double> values;
    for (const auto& series : chart.series) {
        for (const auto& point : series.points) {
            if (point.y) values.push_back(*point.y);
        }
    }
    for (const auto& guide : chart.guides) values.push_back(guide.y);
    return values;
}

// ---------------------------------------------------------------------------------------------
// Drawing

constexpr double chart_width = 960;
constexpr double plot_left = 72;
constexpr double plot_right_margin = 24;
constexpr double plot_height = 250;
constexpr double legend_top = 8;
constexpr double legend_row_height = 20;
constexpr double below_plot = 50;  // tick labels and the x-axis label

std::string px(double value) {
    return format_number(1, value);
}

struct Frame {
    Axis x;
    Axis y;
    double left;
    double top;
    double width;
    double height;

    double x_px(double value) const { return left + x.fraction(value) * width; }
    double y_px(double value) const { return bottom() - y.fraction(value) * height; }
    double bottom() const { return top + height; }
    double right() const { return left + width; }
};

std::string svg_line(double x1, double y1, double x2, double y2, Attributes attributes,
                     std::string_view content = {}) {
    attributes.insert(attributes.end(),
                      {{"x1", px(x1)}, {"y1", px(y1)}, {"x2", px(x2)}, {"y2", px(y2)}});
    return element("line", attributes, content);
}

std::string svg_text(double x, double y, std::string_view css_class, std::string_view text,
                     std::string_view anchor = "start") {
    return element("text",
                   {{"class", std::string(css_class)},
                    {"x", px(x)},
                    {"y", px(y)},
                    {"text-anchor", std::string(anchor)}},
                   escape_html(text));
}

std::string tooltip(std::string_view text) {
    return element("title", {}, escape_html(text));
}

enum class Swatch { line, dashed, dot, marker, band, span, guide };

struct LegendEntry {
    std::string label;
    Swatch swatch;
    std::string colour;
};

// One legend entry per marker or span kind, sorted, in the colour of its first occurrence.
std::map<std::string, std::pair<std::string, Swatch>> kind_swatches(const Chart& chart) {
    std::map<std::string, std::pair<std::string, Swatch>> swatches;
    for (const auto& span : chart.spans)
        swatches.emplace(span.kind, std::pair{span.colour, Swatch::span});
    for (const auto& marker : chart.markers)
        swatches.emplace(marker.kind, std::pair{marker.colour, Swatch::marker});
    return swatches;
}

std::vector<LegendEntry> legend_entries(const Chart& chart) {
    std::vector<LegendEntry> entries;
    for (const auto& series : chart.series) {
        auto swatch = series.style == Style::points   ? Swatch::dot
                      : series.style == Style::dashed ? Swatch::dashed
                                                      : Swatch::line;
        entries.push_back({series.name, swatch, series.colour});
    }
    for (const auto& guide : chart.guides)
        entries.push_back({guide.label, Swatch::guide, guide_colour});
    for (const auto& [kind, swatch] : kind_swatches(chart)) {
        entries.push_back({kind, swatch.second, swatch.first});
    }
    std::set<std::string> band_labels;
    for (const auto& band : chart.bands) {
        if (band_labels.insert(band.label).second) {
            entries.push_back({band.label, Swatch::band, band_colour});
        }
    }
    return entries;
}

std::string swatch_svg(const LegendEntry& entry, double x, double y) {
    Attributes stroke{{"stroke", entry.colour}, {"stroke-width", "2.5"}};
    switch (entry.swatch) {
        case Swatch::line:
            return svg_line(x, y, x + 22, y, stroke);
        case Swatch::dashed:
            stroke.push_back({"stroke-dasharray", "6 3"});
            return svg_line(x, y, x + 22, y, stroke);
        case Swatch::guide:
            stroke.push_back({"stroke-dasharray", "2 3"});
            return svg_line(x, y, x + 22, y, stroke);
        case Swatch::marker:
            return svg_line(x + 11, y - 7, x + 11, y + 7, stroke);
        case Swatch::dot:
            return element("circle",
                           {{"cx", px(x + 11)}, {"cy", px(y)}, {"r", "5"}, {"fill", entry.colour}});
        case Swatch::band:
        case Swatch::span:
            return element("rect", {{"x", px(x)},
                                    {"y", px(y - 6)},
                                    {"width", "22"},
                                    {"height", "12"},
                                    {"fill", entry.colour},
                                    {"opacity", entry.swatch == Swatch::span ? "0.5" : "0.35"}});
    }
    return "";
}

struct Legend {
    std::string svg;
    double height = 0;
};

// Entries flow left to right and wrap; widths are estimated (no text metrics without a browser).
Legend layout_legend(const std::vector<LegendEntry>& entries) {
    Legend legend;
    double x = plot_left;
    double y = legend_top + legend_row_height / 2;
    for (const auto& entry : entries) {
        double width = 48 + 7.0 * static_cast<double>(entry.label.size());
        if (x + width > chart_width - plot_right_margin && x > plot_left) {
            x = plot_left;
            y += legend_row_height;
        }
        legend.svg += swatch_svg(entry, x, y) + svg_text(x + 28, y + 4, "legend", entry.label);
        x += width;
    }
    legend.height = entries.empty() ? 0 : y + legend_row_height / 2 - legend_top;
    return legend;
}

std::string grid_and_axes(const Chart& chart, const Frame& frame) {
    std::string svg;
    for (const auto& tick : frame.y.ticks) {
        double y = frame.bottom() - frame.y.fraction_at(tick.at) * frame.height;
        svg += svg_line(frame.left, y, frame.right(), y, {{"class", "grid"}});
        svg += svg_text(frame.left - 6, y + 4, "tick", tick.label, "end");
    }
    for (const auto& tick : frame.x.ticks) {
        double x = frame.left + frame.x.fraction_at(tick.at) * frame.width;
        svg += svg_line(x, frame.top, x, frame.bottom(), {{"class", "grid"}});
        svg += svg_text(x, frame.bottom() + 16, "tick", tick.label, "middle");
    }
    svg += element("rect", {{"class", "frame"},
                            {"x", px(frame.left)},
                            {"y", px(frame.top)},
                            {"width", px(frame.width)},
                            {"height", px(frame.height)}});
    svg += svg_text(frame.left + frame.width / 2, frame.bottom() + 40, "axis-label", chart.x_label,
                    "middle");
    double middle = frame.top + frame.height / 2;
    svg += element("text",
                   {{"class", "axis-label"},
                    {"x", "16"},
                    {"y", px(middle)},
                    {"text-anchor", "middle"},
                    {"transform", "rotate(-90 16 " + px(middle) + ")"}},
                   escape_html(chart.y_label));
    return svg;
}

std::string bands_svg(const Chart& chart, const Frame& frame) {
    std::string svg;
    for (const auto& band : chart.bands) {
        double from = frame.x_px(band.from);
        double to = frame.x_px(band.to);
        svg += element("rect",
                       {{"class", "band"},
                        {"data-band", chart.id + "/" + band.label},
                        {"data-from", exact_number(band.from)},
                        {"data-to", exact_number(band.to)},
                        {"x", px(from)},
                        {"y", px(frame.top)},
                        {"width", px(std::max(to - from, 3.0))},  // a short drain stays visible
                        {"height", px(frame.height)}},
                       tooltip(band.label));
    }
    return svg;
}

// A light wash over the whole height, so the series stay readable through it, and a solid strip
// along the top, one lane per kind, that tells the kinds apart where spans overlap (two washes
// blend into a third colour).
std::string spans_svg(const Chart& chart, const Frame& frame) {
    constexpr double strip_height = 5;
    std::vector<std::string> lanes;  // kinds, in order of first appearance
    std::string svg;
    for (const auto& span : chart.spans) {
        if (!contains(lanes, span.kind)) lanes.push_back(span.kind);
        auto lane = std::find(lanes.begin(), lanes.end(), span.kind) - lanes.begin();
        double from = frame.x_px(span.from);
        double width = std::max(frame.x_px(span.to) - from, 2.0);
        svg += element("rect",
                       {{"class", "span"},
                        {"data-span", chart.id + "/" + span.kind},
                        {"data-from", exact_number(span.from)},
                        {"data-to", exact_number(span.to)},
                        {"x", px(from)},
                        {"y", px(frame.top)},
                        {"width", px(width)},
                        {"height", px(frame.height)},
                        {"fill", span.colour}},
                       tooltip(span.label));
        svg += element("rect",
                       {{"class", "span-strip"},
                        {"x", px(from)},
                        {"y", px(frame.top + static_cast<double>(lane) * strip_height)},
                        {"width", px(width)},
                        {"height", px(strip_height)},
                        {"fill", span.colour}},
                       tooltip(span.label));
    }
    return svg;
}

std::string guides_svg(const Chart& chart, const Frame& frame) {
    std::string svg;
    for (const auto& guide : chart.guides) {
        double y = frame.y_px(guide.y);
        svg += svg_line(frame.left, y, frame.right(), y,
                        {{"class", "guide"},
                         {"data-guide", chart.id + "/" + guide.label},
                         {"data-y", exact_number(guide.y)},
                         {"stroke", guide_colour}},
                        tooltip(guide.label));
    }
    return svg;
}

std::string markers_svg(const Chart& chart, const Frame& frame) {
    std::string svg;
    for (const auto& marker : chart.markers) {
        double x = frame.x_px(marker.x);
        svg += svg_line(x, frame.top, x, frame.bottom(),
                        {{"class", "marker"},
                         {"data-marker", chart.id + "/" + marker.kind},
                         {"data-x", exact_number(marker.x)},
                         {"stroke", marker.colour}},
                        tooltip(marker.label));
    }
    return svg;
}

std::string data_values(const Series& series) {
    std::string values;
    for (const auto& point : series.points) {
        if (!values.empty()) values += ' ';
        values += exact_number(point.x) + "," + (point.y ? exact_number(*point.y) : "null");
    }
    return values;
}

std::string dot_path(double x, double y, double radius) {
    auto arc = [&](double dx) {
        return "a" + px(radius) + " " + px(radius) + " 0 1 0 " + px(dx) + " 0";
    };
    return "M" + px(x - radius) + " " + px(y) + arc(2 * radius) + arc(-2 * radius);
}

// Lines break at nulls; a point with no neighbour becomes a small ring so it stays visible.
std::string line_path(const Series& series, const Frame& frame) {
    std::string path;
    std::vector<std::pair<double, double>> segment;
    auto flush = [&] {
        if (segment.size() == 1) path += dot_path(segment[0].first, segment[0].second, 1.5);
        for (std::size_t i = 0; segment.size() > 1 && i < segment.size(); ++i) {
            path += (i == 0 ? "M" : "L") + px(segment[i].first) + " " + px(segment[i].second);
        }
        segment.clear();
    };
    for (const auto& point : series.points) {
        if (point.y) {
            segment.emplace_back(frame.x_px(point.x), frame.y_px(*point.y));
        } else {
            flush();
        }
    }
    flush();
    return path;
}

std::string points_path(const Series& series, const Frame& frame) {
    std::string path;
    for (const auto& point : series.points) {
        if (point.y) path += dot_path(frame.x_px(point.x), frame.y_px(*point.y), 5);
    }
    return path;
}

std::string series_svg(const Chart& chart, const Series& series, const Frame& frame) {
    Attributes attributes{{"class", "series"},
                          {"data-series", chart.id + "/" + series.name},
                          {"data-values", data_values(series)}};
    if (series.style == Style::points) {
        attributes.insert(attributes.end(),
                          {{"fill", series.colour}, {"stroke", "#fff"}, {"stroke-width", "1"}});
        attributes.push_back({"d", points_path(series, frame)});
    } else {
        attributes.insert(attributes.end(),
                          {{"fill", "none"}, {"stroke", series.colour}, {"stroke-width", "2"}});
        if (series.style == Style::dashed) attributes.push_back({"stroke-dasharray", "6 3"});
        attributes.push_back({"d", line_path(series, frame)});
    }
    return element("path", attributes, tooltip(series.name));
}

bool has_data(const Chart& chart) {
    return std::any_of(chart.series.begin(), chart.series.end(), [](const Series& series) {
        return std::any_of(series.points.begin(), series.points.end(),
                           [](const Point& point) { return point.y.has_value(); });
    });
}

// The chart's series for the report-data script: series name -> [[x, y or null], ...].
json chart_data(const Chart& chart) {
    json data = json::object();
    for (const auto& series : chart.series) {
        json points = json::array();
        for (const auto& point : series.points) {
            points.push_back({point.x, point.y ? json(*point.y) : json(nullptr)});
        }
        data[series.name] = std::move(points);
    }
    return data;
}

}  // namespace

Chart make_chart(std::string id, std::string title, std::string x_label, std::string y_label,
                 Scale x_scale, Scale y_scale) {
    Chart chart;
    chart.id = std::move(id);
    chart.title = std::move(title);
    chart.x_label = std::move(x_label);
    chart.y_label = std::move(y_label);
    chart.x_scale = x_scale;
    chart.y_scale = y_scale;
    return chart;
}

std::string palette(std::size_t index) {
    static constexpr const char* colours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1",
                                              "#76b7b2", "#edc948", "#9c755f", "#ff9da7"};
    return colours[index % std::size(colours)];
}

std::string render_chart(const Chart& chart) {
    auto legend = layout_legend(legend_entries(chart));
    // The wide x axis takes twice the ticks: a tick every second or two places faults in time.
    auto x_axis = fit_axis(chart.x_scale, x_values(chart), 10);
    if (chart.x_end) x_axis = end_axis_at(x_axis, *chart.x_end);
    Frame frame{x_axis,
                fit_axis(chart.y_scale, y_values(chart), 5),
                plot_left,
                legend_top + legend.height + 12,
                chart_width - plot_left - plot_right_margin,
                plot_height};
    std::string svg = bands_svg(chart, frame) + spans_svg(chart, frame) +
                      grid_and_axes(chart, frame) + guides_svg(chart, frame) +
                      markers_svg(chart, frame);
    for (const auto& series : chart.series) svg += series_svg(chart, series, frame);
    svg += legend.svg;
    if (!has_data(chart)) {
        svg += svg_text(frame.left + frame.width / 2, frame.top + frame.height / 2, "no-data",
                        "no data", "middle");
    }
    auto height = frame.bottom() + below_plot;
    Attributes svg_attributes{{"class", "chart"},
                              {"viewBox", "0 0 " + px(chart_width) + " " + px(height)},
                              {"role", "img"},
                              {"aria-label", chart.title}};
    if (chart.x_scale == Scale::linear)
        svg_attributes.push_back({"data-x-max", exact_number(frame.x.high)});
    std::string figure =
        element("figcaption", {}, escape_html(chart.title)) + element("svg", svg_attributes, svg);
    for (const auto& note : chart.notes)
        figure += element("p", {{"class", "note"}}, escape_html(note));
    return element("figure", {{"id", "chart-" + chart.id}}, figure) + "\n";
}

json charts_data(std::initializer_list<const Chart*> charts) {
    json data = json::object();
    for (const auto* chart : charts) data[chart->id] = chart_data(*chart);
    return data;
}

}  // namespace sh::reports::html

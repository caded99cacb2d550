// The chart renderer on its own, read back from the SVG it writes: series are paths through
// their points in plot coordinates (axis ends on the frame's edges), absent values break the
// line, markers, bands and guides sit at their values inside the axes, the legend lists each
// thing once and pushes the plot down when it wraps, every text is escaped, and charts_data
// holds the same numbers as the page.
#include "reports/svg_chart.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using nlohmann::json;
using sh::reports::html::Chart;
using sh::reports::html::charts_data;
using sh::reports::html::make_chart;
using sh::reports::html::palette;
using sh::reports::html::Point;
using sh::reports::html::render_chart;
using sh::reports::html::Scale;
using sh::reports::html::Series;
using sh::reports::html::Style;

namespace {

struct Element {
    std::map<std::string, std::string> attributes;
    std::string content;

    const std::string& operator[](const std::string& name) const {
        static const std::string absent;
        auto found = attributes.find(name);
        return found == attributes.end() ? absent : found->second;
    }
    double number(const std::string& name) const { return std::stod((*this)[name]); }
};

// Every <tag ...>content</tag> of the page, optionally only those of one class.
std::vector<Element> elements(const std::string& svg, const std::string& tag,
                              const std::string& css_class = {}) {
    static const std::regex attribute(R"re( ([a-zA-Z][a-zA-Z0-9-]*)="([^"]*)")re");
    const std::regex open("<" + tag + R"re(((?: [a-zA-Z][a-zA-Z0-9-]*="[^"]*")*)>)re");
    std::vector<Element> found;
    for (std::sregex_iterator it(svg.begin(), svg.end(), open), end; it != end; ++it) {
        Element element;
        std::string attributes = (*it)[1];
        for (std::sregex_iterator a(attributes.begin(), attributes.end(), attribute); a != end;
             ++a) {
            element.attributes[(*a)[1]] = (*a)[2];
        }
        auto content_begin = static_cast<std::size_t>(it->position() + it->length());
        element.content =
            svg.substr(content_begin, svg.find("</" + tag + ">", content_begin) - content_begin);
        if (css_class.empty() || element["class"] == css_class) found.push_back(element);
    }
    return found;
}

Element only(const std::string& svg, const std::string& tag, const std::string& css_class) {
    auto found = elements(svg, tag, css_class);
    EXPECT_EQ(found.size(), 1u) << tag << "." << css_class;
    return found.empty() ? Element{} : found.front();
}

using Xy = std::pair<double, double>;

// The points a path visits: "M x y" and "L x y" commands (arcs of dots are skipped).
std::vector<Xy> path_points(const std::string& d) {
    static const std::regex command(R"re([ML](-?[0-9.]+) (-?[0-9.]+))re");
    std::vector<Xy> points;
    for (std::sregex_iterator it(d.begin(), d.end(), command), end; it != end; ++it) {
        points.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
    }
    return points;
}

// The plot rectangle, read from the frame the renderer draws.
struct Plot {
    double left;
    double top;
    double width;
    double height;

    double right() const { return left + width; }
    double bottom() const { return top + height; }
    // Pixel position of a value on a linear axis running from low to high.
    double x(double value, double low, double high) const {
        return left + width * (value - low) / (high - low);
    }
    double y(double value, double low, double high) const {
        return bottom() - height * (value - low) / (high - low);
    }
};

Plot plot_of(const std::string& svg) {
    auto frame = only(svg, "rect", "frame");
    return {frame.number("x"), frame.number("y"), frame.number("width"), frame.number("height")};
}

std::vector<std::string> texts(const std::string& svg, const std::string& css_class) {
    std::vector<std::string> found;
    for (const auto& text : elements(svg, "text", css_class)) found.push_back(text.content);
    return found;
}

Element series_path(const std::string& svg, const std::string& data_series) {
    for (const auto& path : elements(svg, "path", "series")) {
        if (path["data-series"] == data_series) return path;
    }
    ADD_FAILURE() << "no series " << data_series;
    return {};
}

// Pixel positions are written with one decimal.
constexpr double px_tolerance = 0.05 + 1e-9;

void expect_at(const Xy& actual, const Xy& expected) {
    EXPECT_NEAR(actual.first, expected.first, px_tolerance);
    EXPECT_NEAR(actual.second, expected.second, px_tolerance);
}

Chart linear_chart(std::string id) {
    return make_chart(std::move(id), "title", "time (s)", "orders/s", Scale::linear, Scale::linear);
}

// x from 0 to 10 and y from 0 to 100: both axes end exactly at the data.
Series diagonal(std::string name, Style style = Style::line) {
    return {std::move(name), {{0, 0}, {5, 50}, {10, 100}}, "#123456", style};
}

}  // namespace

TEST(SvgChart, LineSeriesRunsThroughItsPointsWithTheAxisEndsOnThePlotEdges) {
    auto chart = linear_chart("c");
    chart.series.push_back(diagonal("s"));
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    EXPECT_GT(plot.width, 0);
    EXPECT_GT(plot.height, 0);
    auto path = series_path(svg, "c/s");
    EXPECT_EQ(path["fill"], "none");
    EXPECT_EQ(path["stroke"], "#123456");
    EXPECT_EQ(path["stroke-dasharray"], "");
    EXPECT_EQ(path["d"].front(), 'M');
    auto points = path_points(path["d"]);
    ASSERT_EQ(points.size(), 3u);
    expect_at(points[0], {plot.left, plot.bottom()});
    expect_at(points[1], {plot.left + plot.width / 2, plot.top + plot.height / 2});
    expect_at(points[2], {plot.right(), plot.top});
    EXPECT_EQ(std::count(path["d"].begin(), path["d"].end(), 'M'), 1);
}

TEST(SvgChart, HigherValuesAreDrawnHigherAndLaterOnesFurtherRight) {
    for (auto y_scale : {Scale::linear, Scale::log}) {
        auto chart = make_chart("m", "title", "x", "y", Scale::linear, y_scale);
        chart.series.push_back({"s",
                                {{0.5, 0.2}, {1.25, 0.9}, {3, 7.5}, {3.5, 42}, {8.75, 980}},
                                "#000",
                                Style::line});
        auto svg = render_chart(chart);
        auto plot = plot_of(svg);
        auto points = path_points(series_path(svg, "m/s")["d"]);
        ASSERT_EQ(points.size(), 5u);
        for (std::size_t i = 0; i < points.size(); ++i) {
            EXPECT_GE(points[i].first, plot.left);
            EXPECT_LE(points[i].first, plot.right());
            EXPECT_GE(points[i].second, plot.top);
            EXPECT_LE(points[i].second, plot.bottom());
            if (i == 0) continue;
            EXPECT_GT(points[i].first, points[i - 1].first) << i;
            EXPECT_LT(points[i].second, points[i - 1].second) << i;  // SVG's y grows downwards
        }
    }
}

TEST(SvgChart, TickLabelsAndGridLinesSitAtTheAxisTicks) {
    auto chart = linear_chart("c");
    chart.series.push_back(diagonal("s"));
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    auto ticks = elements(svg, "text", "tick");
    auto grid = elements(svg, "line", "grid");
    ASSERT_EQ(ticks.size(), 6u + 11u);  // y: 0, 20 ... 100; x: 0, 1 ... 10
    ASSERT_EQ(grid.size(), ticks.size());
    for (int k = 0; k <= 5; ++k) {
        double y = plot.y(20.0 * k, 0, 100);
        EXPECT_EQ(ticks[k].content, std::to_string(20 * k));
        EXPECT_EQ(ticks[k]["text-anchor"], "end");
        EXPECT_LT(ticks[k].number("x"), plot.left);
        EXPECT_NEAR(grid[k].number("y1"), y, px_tolerance);
        EXPECT_NEAR(grid[k].number("y2"), y, px_tolerance);
        EXPECT_NEAR(grid[k].number("x1"), plot.left, px_tolerance);
        EXPECT_NEAR(grid[k].number("x2"), plot.right(), px_tolerance);
    }
    for (int k = 0; k <= 10; ++k) {
        const auto& tick = ticks[6 + k];
        const auto& line = grid[6 + k];
        double x = plot.x(k, 0, 10);
        EXPECT_EQ(tick.content, std::to_string(k));
        EXPECT_EQ(tick["text-anchor"], "middle");
        EXPECT_NEAR(tick.number("x"), x, px_tolerance);
        EXPECT_GT(tick.number("y"), plot.bottom());
        EXPECT_NEAR(line.number("x1"), x, px_tolerance);
        EXPECT_NEAR(line.number("x2"), x, px_tolerance);
        EXPECT_NEAR(line.number("y1"), plot.top, px_tolerance);
        EXPECT_NEAR(line.number("y2"), plot.bottom(), px_tolerance);
    }
    EXPECT_EQ(texts(svg, "axis-label"), (std::vector<std::string>{"time (s)", "orders/s"}));
}

TEST(SvgChart, AbsentValuesBreakTheLineAndALonePointBecomesARing) {
    auto chart = linear_chart("c");
    chart.series.push_back({"s",
                            {{0, 10},
                             {1, std::nullopt},
                             {2, 30},
                             {3, 40},
                             {4, std::nullopt},
                             {5, std::nullopt},
                             {6, 20},
                             {7, 50},
                             {10, 100}},
                            "#123456",
                            Style::line});
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    auto d = series_path(svg, "c/s")["d"];
    // Three pieces: a ring around (0, 10), a line 2..3, a line 6..10.
    EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 3) << d;
    auto ring_x = plot.x(0, 0, 10);
    auto ring_y = plot.y(10, 0, 100);
    static const std::regex ring_then_move(
        R"re(^M(-?[0-9.]+) (-?[0-9.]+)a1\.5 1\.5 0 1 0 3\.0 0a1\.5 1\.5 0 1 0 -3\.0 0M)re");
    std::smatch ring;
    ASSERT_TRUE(std::regex_search(d, ring, ring_then_move)) << d;
    EXPECT_NEAR(std::stod(ring[1]), ring_x - 1.5, px_tolerance);
    EXPECT_NEAR(std::stod(ring[2]), ring_y, px_tolerance);
    auto lines = d.substr(ring.length() - 1);
    auto points = path_points(lines);
    ASSERT_EQ(points.size(), 5u) << lines;
    const std::vector<Xy> data = {{2, 30}, {3, 40}, {6, 20}, {7, 50}, {10, 100}};
    const std::string commands = "MLMLL";
    for (std::size_t i = 0; i < data.size(); ++i) {
        expect_at(points[i], {plot.x(data[i].first, 0, 10), plot.y(data[i].second, 0, 100)});
    }
    std::string actual_commands;
    for (char c : lines) {
        if (c == 'M' || c == 'L') actual_commands += c;
    }
    EXPECT_EQ(actual_commands, commands);
}

TEST(SvgChart, PointsSeriesDrawsOneDotPerPresentValue) {
    auto chart = linear_chart("c");
    chart.series.push_back({"p", {{0, 0}, {5, std::nullopt}, {10, 100}}, "#59a14f", Style::points});
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    auto path = series_path(svg, "c/p");
    EXPECT_EQ(path["fill"], "#59a14f");
    EXPECT_EQ(path["stroke"], "#fff");
    static const std::regex dot(
        R"re(M(-?[0-9.]+) (-?[0-9.]+)a5\.0 5\.0 0 1 0 10\.0 0a5\.0 5\.0 0 1 0 -10\.0 0)re");
    std::vector<Xy> centres;
    const auto& d = path["d"];
    for (std::sregex_iterator it(d.begin(), d.end(), dot), end; it != end; ++it) {
        centres.emplace_back(std::stod((*it)[1]) + 5, std::stod((*it)[2]));
    }
    ASSERT_EQ(centres.size(), 2u) << d;
    expect_at(centres[0], {plot.left, plot.bottom()});
    expect_at(centres[1], {plot.right(), plot.top});
    EXPECT_EQ(std::count(d.begin(), d.end(), 'L'), 0);
}

TEST(SvgChart, DashedSeriesHasADashPattern) {
    auto chart = linear_chart("c");
    chart.series.push_back(diagonal("dashed", Style::dashed));
    auto path = series_path(render_chart(chart), "c/dashed");
    EXPECT_EQ(path["stroke-dasharray"], "6 3");
    EXPECT_EQ(path["fill"], "none");
    EXPECT_EQ(path_points(path["d"]).size(), 3u);
}

TEST(SvgChart, EverySeriesCarriesItsExactNumbersWithNullForAbsentValues) {
    auto chart = linear_chart("c");
    const std::vector<Point> points = {
        {0.1 + 0.2, 1.0 / 3}, {1, std::nullopt}, {2.0000001, 1e-7}, {123456789.125, -4.5}};
    chart.series.push_back({"s", points, "#000", Style::line});
    auto path = series_path(render_chart(chart), "c/s");
    std::vector<std::string> pairs;
    std::istringstream values(path["data-values"]);
    for (std::string pair; values >> pair;) pairs.push_back(pair);
    ASSERT_EQ(pairs.size(), points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        auto comma = pairs[i].find(',');
        EXPECT_EQ(std::stod(pairs[i].substr(0, comma)), points[i].x) << pairs[i];
        auto y = pairs[i].substr(comma + 1);
        if (points[i].y) {
            EXPECT_EQ(std::stod(y), *points[i].y) << pairs[i];
        } else {
            EXPECT_EQ(y, "null");
        }
    }
}

TEST(SvgChart, ChartsDataHoldsEverySeriesOfEveryChartByName) {
    auto first = linear_chart("first");
    first.series.push_back({"a", {{0.5, 2}, {1, std::nullopt}}, "#000", Style::line});
    first.series.push_back({"b <&>", {{3, 1.0 / 3}}, "#111", Style::points});
    auto empty = linear_chart("empty");
    auto data = charts_data({&first, &empty});
    ASSERT_EQ(data.size(), 2u);
    ASSERT_EQ(data["first"].size(), 2u);
    EXPECT_EQ(data["first"]["a"], json::parse("[[0.5, 2.0], [1.0, null]]"));
    ASSERT_EQ(data["first"]["b <&>"].size(), 1u);
    EXPECT_EQ(data["first"]["b <&>"][0][0].get<double>(), 3.0);
    EXPECT_EQ(data["first"]["b <&>"][0][1].get<double>(), 1.0 / 3);
    EXPECT_EQ(data["empty"], json::object());
}

TEST(SvgChart, AChartWithNoPresentValueSaysNoData) {
    auto chart = linear_chart("c");
    chart.series.push_back({"gaps", {{0, std::nullopt}, {1, std::nullopt}}, "#000", Style::line});
    chart.series.push_back({"empty", {}, "#111", Style::points});
    chart.guides.push_back({5, "limit"});
    auto svg = render_chart(chart);
    EXPECT_EQ(texts(svg, "no-data"), std::vector<std::string>{"no data"});
    EXPECT_EQ(series_path(svg, "c/gaps")["d"], "");
    EXPECT_EQ(series_path(svg, "c/gaps")["data-values"], "0.0,null 1.0,null");
    EXPECT_EQ(series_path(svg, "c/empty")["d"], "");
    EXPECT_EQ(series_path(svg, "c/empty")["data-values"], "");

    EXPECT_EQ(texts(render_chart(linear_chart("bare")), "no-data"),
              std::vector<std::string>{"no data"});

    chart.series[0].points[1].y = 0;  // one value, even a zero, is data
    EXPECT_TRUE(texts(render_chart(chart), "no-data").empty());
}

TEST(SvgChart, MarkerIsAVerticalLineAcrossThePlotAtItsX) {
    auto chart = linear_chart("c");
    chart.series.push_back(diagonal("s"));
    chart.markers.push_back({2.5, "kill", "kill of score-0-1", "#c62828"});
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    auto marker = only(svg, "line", "marker");
    EXPECT_EQ(marker["data-marker"], "c/kill");
    EXPECT_EQ(marker["data-x"], "2.5");
    EXPECT_EQ(marker["stroke"], "#c62828");
    EXPECT_NEAR(marker.number("x1"), plot.x(2.5, 0, 10), px_tolerance);
    EXPECT_NEAR(marker.number("x2"), plot.x(2.5, 0, 10), px_tolerance);
    EXPECT_NEAR(marker.number("y1"), plot.top, px_tolerance);
    EXPECT_NEAR(marker.number("y2"), plot.bottom(), px_tolerance);
    EXPECT_EQ(marker.content, "<title>kill of score-0-1</title>");
}

TEST(SvgChart, GuideIsAHorizontalLineAcrossThePlotAtItsY) {
    auto chart = linear_chart("c");
    chart.series.push_back(diagonal("s"));
    chart.guides.push_back({50, "SLO p99"});
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    auto guide = only(svg, "line", "guide");
    EXPECT_EQ(guide["data-guide"], "c/SLO p99");
    EXPECT_EQ(guide["data-y"], "50.0");
    EXPECT_NEAR(guide.number("y1"), plot.y(50, 0, 100), px_tolerance);
    EXPECT_NEAR(guide.number("y2"), plot.y(50, 0, 100), px_tolerance);
    EXPECT_NEAR(guide.number("x1"), plot.left, px_tolerance);
    EXPECT_NEAR(guide.number("x2"), plot.right(), px_tolerance);
    EXPECT_EQ(guide.content, "<title>SLO p99</title>");
}

TEST(SvgChart, BandShadesItsXRangeAndAShortOneStaysVisible) {
    auto chart = linear_chart("c");
    chart.series.push_back(diagonal("s"));
    chart.bands.push_back({2, 4, "drain phase"});
    chart.bands.push_back({7, 7, "instant"});
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    auto bands = elements(svg, "rect", "band");
    ASSERT_EQ(bands.size(), 2u);
    EXPECT_EQ(bands[0]["data-band"], "c/drain phase");
    EXPECT_EQ(bands[0]["data-from"], "2.0");
    EXPECT_EQ(bands[0]["data-to"], "4.0");
    EXPECT_NEAR(bands[0].number("x"), plot.x(2, 0, 10), px_tolerance);
    EXPECT_NEAR(bands[0].number("width"), plot.x(4, 0, 10) - plot.x(2, 0, 10), 2 * px_tolerance);
    EXPECT_NEAR(bands[0].number("y"), plot.top, px_tolerance);
    EXPECT_NEAR(bands[0].number("height"), plot.height, px_tolerance);
    EXPECT_EQ(bands[0].content, "<title>drain phase</title>");
    EXPECT_NEAR(bands[1].number("x"), plot.x(7, 0, 10), px_tolerance);
    EXPECT_EQ(bands[1]["width"], "3.0");
}

TEST(SvgChart, MarkersBandsAndGuidesWidenTheAxesToStayInside) {
    auto chart = linear_chart("c");
    chart.series.push_back({"s", {{0, 0}, {4, 10}}, "#000", Style::line});
    chart.markers.push_back({9, "kill", "k", "#f00"});
    chart.bands.push_back({1, 12, "drain phase"});
    chart.guides.push_back({25, "limit"});
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    // x: 0..12 (steps of 2); y: 0..25 (steps of 5).
    auto band = only(svg, "rect", "band");
    EXPECT_NEAR(band.number("x") + band.number("width"), plot.right(), 2 * px_tolerance);
    EXPECT_NEAR(only(svg, "line", "marker").number("x1"), plot.x(9, 0, 12), px_tolerance);
    EXPECT_NEAR(only(svg, "line", "guide").number("y1"), plot.top, px_tolerance);
    auto points = path_points(series_path(svg, "c/s")["d"]);
    ASSERT_EQ(points.size(), 2u);
    expect_at(points[1], {plot.x(4, 0, 12), plot.y(10, 0, 25)});
    EXPECT_EQ(texts(svg, "tick").back(), "12");
}

TEST(SvgChart, ValuesOffALogAxisAreDrawnOnItsEdge) {
    auto chart = make_chart("p", "title", "percentile", "ms", Scale::hdr_percentile, Scale::log);
    chart.series.push_back({"s", {{0, 0}, {90, 1}, {99.9, 100}}, "#000", Style::line});
    auto svg = render_chart(chart);
    auto plot = plot_of(svg);
    auto points = path_points(series_path(svg, "p/s")["d"]);
    ASSERT_EQ(points.size(), 3u);
    // x: 0 .. 3 nines; y: decades 1 .. 100, with the 0 ms point on the bottom edge.
    expect_at(points[0], {plot.left, plot.bottom()});
    expect_at(points[1], {plot.x(1, 0, 3), plot.y(0, 0, 2)});
    expect_at(points[2], {plot.right(), plot.top});
    EXPECT_EQ(texts(svg, "tick"), (std::vector<std::string>{"1", "2", "5", "10", "20", "50", "100",
                                                            "0%", "90%", "99%", "99.9%"}));
}

TEST(SvgChart, LegendListsSeriesGuidesEachMarkerKindAndEachBandLabelOnce) {
    auto chart = linear_chart("c");
    chart.series.push_back(diagonal("applied"));
    chart.series.push_back(diagonal("produced", Style::dashed));
    chart.series.push_back({"steps", {{1, 1}}, "#59a14f", Style::points});
    chart.guides.push_back({50, "SLO"});
    chart.markers.push_back({2, "pause", "p1", "#aaaaaa"});
    chart.markers.push_back({3, "kill", "k1", "#ff0000"});
    chart.markers.push_back({4, "kill", "k2", "#0000ff"});
    chart.bands.push_back({1, 2, "drain phase"});
    chart.bands.push_back({5, 6, "drain phase"});
    auto svg = render_chart(chart);
    EXPECT_EQ(texts(svg, "legend"), (std::vector<std::string>{"applied", "produced", "steps", "SLO",
                                                              "kill", "pause", "drain phase"}));
    // Swatches are the unclassed lines, the circle and the rect drawn with the legend.
    std::vector<Element> swatch_lines;
    for (const auto& line : elements(svg, "line")) {
        if (line["class"].empty()) swatch_lines.push_back(line);
    }
    ASSERT_EQ(swatch_lines.size(), 5u);
    EXPECT_EQ(swatch_lines[0]["stroke"], "#123456");
    EXPECT_EQ(swatch_lines[0]["stroke-dasharray"], "");
    EXPECT_EQ(swatch_lines[1]["stroke-dasharray"], "6 3");
    EXPECT_EQ(swatch_lines[2]["stroke-dasharray"], "2 3");  // the guide
    EXPECT_EQ(swatch_lines[3]["stroke"], "#ff0000");        // kill: its first marker's colour
    EXPECT_EQ(swatch_lines[3]["x1"], swatch_lines[3]["x2"]);
    EXPECT_EQ(swatch_lines[4]["stroke"], "#aaaaaa");
    auto dots = elements(svg, "circle");
    ASSERT_EQ(dots.size(), 1u);
    EXPECT_EQ(dots[0]["fill"], "#59a14f");
    std::vector<Element> band_swatches;
    for (const auto& rect : elements(svg, "rect")) {
        if (rect["class"].empty()) band_swatches.push_back(rect);
    }
    EXPECT_EQ(band_swatches.size(), 1u);
}

TEST(SvgChart, ALegendThatWrapsPushesThePlotDownAndKeepsItsHeight) {
    auto one_row = linear_chart("c");
    one_row.series.push_back(diagonal("s"));
    auto many_rows = one_row;
    for (int i = 0; i < 12; ++i) {
        many_rows.series.push_back(diagonal("a rather long series name " + std::to_string(i)));
    }
    auto bare = linear_chart("c");
    auto height_of = [](const std::string& svg) {
        std::smatch box;
        EXPECT_TRUE(
            std::regex_search(svg, box, std::regex(R"re(viewBox="0 0 960\.0 ([0-9.]+)")re")));
        return box.empty() ? 0.0 : std::stod(box[1]);
    };
    std::vector<double> tops;
    for (const auto* chart : {&bare, &one_row, &many_rows}) {
        auto svg = render_chart(*chart);
        auto plot = plot_of(svg);
        std::set<std::string> rows;
        for (const auto& text : elements(svg, "text", "legend")) {
            rows.insert(text["y"]);
            EXPECT_LT(text.number("y"), plot.top);
            EXPECT_LE(text.number("x") + 7.0 * static_cast<double>(text.content.size()), 960);
        }
        EXPECT_EQ(plot.height, plot_of(render_chart(one_row)).height);
        // Tick labels and the x-axis label fit below the plot, inside the picture.
        EXPECT_GT(height_of(svg), plot.bottom());
        EXPECT_EQ(height_of(svg) - plot.bottom(),
                  height_of(render_chart(bare)) - plot_of(render_chart(bare)).bottom());
        if (chart == &many_rows) {
            EXPECT_GE(rows.size(), 3u);
        }
        if (chart == &one_row) {
            EXPECT_EQ(rows.size(), 1u);
        }
        tops.push_back(plot.top);
    }
    EXPECT_LT(tops[0], tops[1]);
    EXPECT_LT(tops[1], tops[2]);
}

TEST(SvgChart, EscapesEveryTextItShows) {
    const std::string odd = "<b>&\"'";
    const std::string escaped = "&lt;b&gt;&amp;&quot;&#39;";
    auto chart =
        make_chart("c", "title " + odd, "x " + odd, "y " + odd, Scale::linear, Scale::linear);
    chart.series.push_back(diagonal("series " + odd));
    chart.markers.push_back({1, "kind " + odd, "marker " + odd, "#f00"});
    chart.bands.push_back({2, 3, "band " + odd});
    chart.guides.push_back({10, "guide " + odd});
    chart.notes.push_back("note " + odd);
    auto html = render_chart(chart);
    EXPECT_EQ(html.find(odd), std::string::npos);
    EXPECT_EQ(html.find("<b>"), std::string::npos);
    for (const auto* text :
         {"<figcaption>title ", "aria-label=\"title ", ">x ", ">y ", "<title>series ",
          "<title>marker ", "<title>band ", "<title>guide ", "<p class=\"note\">note ",
          "data-series=\"c/series ", "data-marker=\"c/kind ", "data-band=\"c/band ",
          "data-guide=\"c/guide "}) {
        EXPECT_NE(html.find(text + escaped), std::string::npos) << text;
    }
    auto legend = texts(html, "legend");
    EXPECT_EQ(legend, (std::vector<std::string>{"series " + escaped, "guide " + escaped,
                                                "kind " + escaped, "band " + escaped}));
}

TEST(SvgChart, FigureCarriesTheChartIdCaptionAndNotesInOrder) {
    auto chart =
        make_chart("throughput", "Throughput", "t", "orders/s", Scale::linear, Scale::linear);
    EXPECT_EQ(chart.id, "throughput");
    EXPECT_EQ(chart.x_label, "t");
    EXPECT_EQ(chart.y_label, "orders/s");
    chart.notes = {"first note", "second note"};
    auto html = render_chart(chart);
    EXPECT_EQ(
        html.rfind("<figure id=\"chart-throughput\"><figcaption>Throughput</figcaption><svg", 0),
        0u);
    EXPECT_EQ(html.substr(html.size() - 10), "</figure>\n");
    auto notes = elements(html, "p", "note");
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_EQ(notes[0].content, "first note");
    EXPECT_EQ(notes[1].content, "second note");
    EXPECT_GT(html.find("<p class=\"note\">"), html.find("</svg>"));
}

TEST(SvgChart, PaletteCyclesThroughEightDistinctColours) {
    std::set<std::string> colours;
    for (std::size_t i = 0; i < 8; ++i) {
        EXPECT_TRUE(std::regex_match(palette(i), std::regex("#[0-9a-f]{6}"))) << palette(i);
        colours.insert(palette(i));
        EXPECT_EQ(palette(i + 8), palette(i));
    }
    EXPECT_EQ(colours.size(), 8u);
}

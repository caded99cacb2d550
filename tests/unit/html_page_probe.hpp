// Reading what an HTML page of the reports draws, for the unit tests of report.html and
// capacity.html: every chart's series, markers, spans and the embedded report-data, from the
// data-* attributes the renderer writes (no pixels).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace sh::testing::html_probe {

using Points = std::vector<std::pair<double, std::optional<double>>>;

inline std::string unescape_html(std::string text) {
    for (auto [entity, plain] :
         {std::pair{"&lt;", "<"}, std::pair{"&gt;", ">"}, std::pair{"&quot;", "\""},
          std::pair{"&#39;", "'"}, std::pair{"&amp;", "&"}}) {
        for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1)) {
            text.replace(at, std::string(entity).size(), plain);
        }
    }
    return text;
}

inline Points parse_values(const std::string& values) {
    Points points;
    std::istringstream pairs(values);
    std::string pair;
    while (pairs >> pair) {
        auto comma = pair.find(',');
        auto y = pair.substr(comma + 1);
        points.emplace_back(std::stod(pair.substr(0, comma)),
                            y == "null" ? std::nullopt : std::optional<double>(std::stod(y)));
    }
    return points;
}

// "chart/series" -> points, from every data-series/data-values pair of the page.
inline std::map<std::string, Points> series_of(const std::string& html) {
    static const std::regex attributes(R"re(data-series="([^"]*)" data-values="([^"]*)")re");
    std::map<std::string, Points> series;
    for (std::sregex_iterator it(html.begin(), html.end(), attributes), end; it != end; ++it) {
        series[unescape_html((*it)[1])] = parse_values((*it)[2]);
    }
    return series;
}

// "chart/kind" -> x of every marker.
inline std::map<std::string, std::vector<double>> markers_of(const std::string& html) {
    static const std::regex attributes(R"re(data-marker="([^"]*)" data-x="([^"]*)")re");
    std::map<std::string, std::vector<double>> markers;
    for (std::sregex_iterator it(html.begin(), html.end(), attributes), end; it != end; ++it) {
        markers[unescape_html((*it)[1])].push_back(std::stod((*it)[2]));
    }
    return markers;
}

inline nlohmann::json report_data(const std::string& html) {
    const std::string open = "<script type=\"application/json\" id=\"report-data\">";
    auto begin = html.find(open);
    if (begin == std::string::npos) return nullptr;
    begin += open.size();
    return nlohmann::json::parse(html.substr(begin, html.find("</script>", begin) - begin));
}

// "chart/kind" -> [from, to] of every span (a fault that lasts).
inline std::map<std::string, std::vector<std::pair<double, double>>> spans_of(
    const std::string& html) {
    static const std::regex attributes(
        R"re(data-span="([^"]*)" data-from="([^"]*)" data-to="([^"]*)" x="([^"]*)")re");
    std::map<std::string, std::vector<std::pair<double, double>>> spans;
    for (std::sregex_iterator it(html.begin(), html.end(), attributes), end; it != end; ++it) {
        spans[unescape_html((*it)[1])].emplace_back(std::stod((*it)[2]), std::stod((*it)[3]));
    }
    return spans;
}

// The value at the right end of the x axis of chart `id` (its <svg>'s data-x-max).
inline std::optional<double> x_axis_end(const std::string& html, const std::string& id) {
    auto figure = html.find("<figure id=\"chart-" + id + "\"");
    if (figure == std::string::npos) return std::nullopt;
    static const std::regex attribute(R"re(data-x-max="([^"]*)")re");
    std::smatch match;
    auto rest = html.substr(figure, html.find("</figure>", figure) - figure);
    if (!std::regex_search(rest, match, attribute)) return std::nullopt;
    return std::stod(match[1]);
}

}  // namespace sh::testing::html_probe

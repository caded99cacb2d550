// The comparison as text (what `streamharness compare` prints) and as Markdown (--markdown): two
// renderings of compare_reports' JSON, with the cells of compare_format.hpp.
#include <algorithm>
#include <string_view>
#include <vector>

#include "reports/compare.hpp"
#include "reports/compare_format.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

json list_of(const json& comparison, const char* name) {
    return comparison.value(name, json::array());
}

std::string noise_floor_note(const json& comparison) {
    const json* floor = find_path(comparison, {"tolerances", "min_latency_delta_ms"});
    if (floor == nullptr || !floor->is_number()) return "";
    return "time changes of " + format_value(*floor, "_ms") +
           " ms or less are noise: never regressed nor improved";
}

std::string describe_side(const std::string& label, const json& side) {
    auto text = label + side_summary(side);
    if (side.contains("path")) text += " " + format_value(side.at("path"), "");
    return text + "\n";
}

// "workload differs at: a, b, ..." wrapped near 100 columns: reports of differently named
// workloads can differ in dozens of fields.
std::string describe_differences(const json& paths) {
    if (paths.empty()) return "";
    std::string text = "workload differs at:";
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        auto item = paths[i].get<std::string>() + (i + 1 < paths.size() ? "," : "");
        if (text.size() - line_start + 1 + item.size() > 100) {
            line_start = text.size() + 1;
            text += "\n ";
        }
        text += " " + item;
    }
    return text + "\n";
}

std::string render_table(const json& rows) {
    std::vector<ComparisonCells> lines{comparison_headers()};
    for (const auto& row : rows) lines.push_back(comparison_cells(row));
    std::size_t columns = lines.front().size();
    std::vector<std::size_t> widths(columns, 0);
    for (const auto& line : lines) {
        for (std::size_t c = 0; c < columns; ++c) widths[c] = std::max(widths[c], line[c].size());
    }
    auto right_aligned = [](std::size_t column) { return column >= 2 && column <= 5; };
    std::string text;
    for (const auto& line : lines) {
        std::string out;
        for (std::size_t c = 0; c < columns; ++c) {
            std::string padding(widths[c] - line[c].size(), ' ');
            out +=
                (c == 0 ? "" : "  ") + (right_aligned(c) ? padding + line[c] : line[c] + padding);
        }
        text += out.substr(0, out.find_last_not_of(' ') + 1) + "\n";
    }
    return text;
}

// Text from a report (group names, run ids, paths) cannot break the table or add markup; a line
// break would end a row.
std::string markdown_escaped(std::string_view text) {
    std::string escaped;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            escaped += ' ';
            continue;
        }
        if (std::string_view("\\|*_`<>[]").find(c) != std::string_view::npos) escaped += '\\';
        escaped += c;
    }
    return escaped;
}

// `text` as a code span, shown as it is; a backtick in it would end the span.
std::string markdown_code(std::string text) {
    std::replace(text.begin(), text.end(), '`', '\'');
    return "`" + text + "`";
}

std::string markdown_row(const ComparisonCells& cells) {
    std::string line = "|";
    for (const auto& cell : cells) line += " " + cell + " |";
    return line + "\n";
}

std::string markdown_table(const json& rows) {
    auto text = markdown_row(comparison_headers());
    text += "| --- | --- | ---: | ---: | ---: | ---: | --- |\n";
    for (const auto& row : rows) {
        auto cells = comparison_cells(row);
        cells[1] = markdown_escaped(cells[1]);  // the group: a name from the workload
        if (cells[6] == "regressed") cells[6] = "**regressed**";
        text += markdown_row(cells);
    }
    return text;
}

std::string markdown_side(const std::string& label, const json& side) {
    auto text = "- **" + label + ":** " + markdown_escaped(side_summary(side));
    if (side.contains("path")) text += " `" + format_value(side.at("path"), "") + "`";
    return text + "\n";
}

}  // namespace

std::string render_comparison(const json& comparison) {
    std::string text = describe_side("base: ", comparison.at("base")) +
                       describe_side("new:  ", comparison.at("candidate"));
    text += describe_differences(list_of(comparison, "workload_differences"));
    for (const auto& warning : list_of(comparison, "warnings")) {
        text += "WARNING: " + warning.get<std::string>() + "\n";
    }
    text += "\n" + render_table(comparison.at("rows"));
    if (auto note = noise_floor_note(comparison); !note.empty()) text += "(" + note + ")\n";
    const auto& regressions = comparison.at("regressions");
    if (regressions.empty()) return text + "no regression\n";
    for (const auto& regression : regressions) {
        text += "REGRESSED: " + regression.get<std::string>() + "\n";
    }
    return text;
}

std::string render_comparison_markdown(const json& comparison) {
    const auto& regressions = comparison.at("regressions");
    std::string text =
        "### streamharness compare: " +
        (regressions.empty() ? std::string("no regression")
                             : "REGRESSED (" + std::to_string(regressions.size()) + ")") +
        "\n\n";
    text += markdown_side("base", comparison.at("base")) +
            markdown_side("new", comparison.at("candidate"));
    auto differences = list_of(comparison, "workload_differences");
    if (!differences.empty()) {
        text += "- **workload differs at:**";
        for (const auto& path : differences) {
            text += " `" + path.get<std::string>() + "`";
        }
        text += "\n";
    }
    if (auto warnings = list_of(comparison, "warnings"); !warnings.empty()) {
        text += "\n> [!WARNING]\n";
        for (const auto& warning : warnings) {
            text += "> - " + markdown_escaped(warning.get<std::string>()) + "\n";
        }
    }
    text += "\n" + markdown_table(comparison.at("rows"));
    if (auto note = noise_floor_note(comparison); !note.empty()) text += "\n_" + note + "._\n";
    if (!regressions.empty()) {
        text += "\n**Regressions:**\n";
        for (const auto& regression : regressions) {
            text += "- " + markdown_code(regression.get<std::string>()) + "\n";
        }
    }
    return text;
}

}  // namespace sh::reports

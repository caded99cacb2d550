// The CSV exports (reports/exports.hpp): RFC 4180, numbers printed as report.json prints them.
#include <set>
#include <utility>
#include <vector>

#include "reports/exports.hpp"
#include "reports/html_report.hpp"
#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

using Cells = std::vector<std::pair<std::string, json>>;

// Objects become dotted columns; anything else is one cell.
void flatten(const json& value, const std::string& column, Cells& cells) {
    if (!value.is_object()) {
        cells.emplace_back(column, value);
        return;
    }
    for (const auto& [name, member] : value.items()) {
        flatten(member, column.empty() ? name : column + "." + name, cells);
    }
}

// RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

// A number exactly as report.json has it (nlohmann prints the shortest text that reads back
// as the same double); null is an empty cell, a sample list its JSON.
std::string cell_text(const json& value) {
    if (value.is_null()) return "";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

// The columns in order of first appearance, `leading` first when present: a row that lacks one
// (a group whose pending was not read in that second) leaves the cell empty.
std::string render_csv(const std::vector<Cells>& rows, const std::vector<std::string>& leading) {
    std::vector<std::string> columns;
    std::set<std::string> seen;
    auto add = [&](const std::string& column) {
        if (seen.insert(column).second) columns.push_back(column);
    };
    for (const auto& column : leading) {
        for (const auto& row : rows) {
            for (const auto& cell : row) {
                if (cell.first == column) add(column);
            }
        }
    }
    for (const auto& row : rows) {
        for (const auto& cell : row) add(cell.first);
    }
    std::string csv;
    if (columns.empty()) return csv;  // no rows (a run that stopped before its first second)
    for (std::size_t i = 0; i < columns.size(); ++i) {
        csv += (i ? "," : "") + csv_field(columns[i]);
    }
    csv += "\r\n";
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            std::string text;
            for (const auto& cell : row) {
                if (cell.first == columns[i]) text = cell_text(cell.second);
            }
            csv += (i ? "," : "") + csv_field(text);
        }
        csv += "\r\n";
    }
    return csv;
}

const json& array_at(const json& document, const char* name) {
    static const json none = json::array();
    const auto& found = member(document, name);
    return found.is_array() ? found : none;
}

}  // namespace

std::string render_timeline_csv(const json& report) {
    std::vector<Cells> rows;
    for (const auto& row : array_at(report, key::timeline)) {
        Cells cells;
        for (const auto& [name, value] : row.items()) {
            // Group names are the columns' first part: "score.p99_ms", as people name them.
            flatten(value, name == key::groups ? std::string() : name, cells);
        }
        rows.push_back(std::move(cells));
    }
    return render_csv(rows, {key::t_s});
}

std::string render_capacity_steps_csv(const json& capacity) {
    std::vector<Cells> rows;
    for (const auto& step : array_at(capacity, key::steps)) {
        Cells cells;
        flatten(step, "", cells);
        rows.push_back(std::move(cells));
    }
    return render_csv(rows, {key::consumers, key::rate, key::passed, key::verdict});
}

void write_capacity_exports(const json& capacity, const std::filesystem::path& dir) {
    write_text_file(render_capacity_steps_csv(capacity), dir, "capacity-steps.csv");
}

}  // namespace sh::reports

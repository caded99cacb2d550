// The building blocks both HTML pages (run report, capacity report) share: escaping, number
// formatting, text of report values, tables, sections, the page skeleton with its CSS, and the
// embedded report-data script. Text from a report is escaped in one place, element(), since group
// names and targets are user input. Knows nothing of charts or of what a report contains.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reports/report_path.hpp"

namespace sh::reports::html {

// ---------------------------------------------------------------------------------------------
// Text and numbers

std::string escape_html(std::string_view text);

using Attributes = std::vector<std::pair<std::string_view, std::string>>;

// <name attributes>content</name>; attribute values are escaped here, content is HTML already.
std::string element(std::string_view name, const Attributes& attributes,
                    std::string_view content = {});

// Strings from a report built in-process may hold invalid UTF-8 (a worker's error text): shown
// with U+FFFD rather than failing the page.
std::string json_text(const nlohmann::json& value, int indent = -1);

// The shortest text that parses back to the same double, as in report.json.
std::string exact_number(double value);
std::string format_number(int decimals, double value);
std::string readable_number(double value);

// ---------------------------------------------------------------------------------------------
// Reading the report: member(), member_path(), number_of() (report_path.hpp), and text to show

std::string text_of(const nlohmann::json& value, std::string fallback = "");

template <typename List>
bool contains(const List& list, std::string_view value) {
    return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

// ---------------------------------------------------------------------------------------------
// Page building blocks

// A JSON value as table cell HTML: scalars readable, objects as nested field/value tables, arrays
// of scalars as a list, arrays of objects as a table with a row each.
std::string cell_html(const nlohmann::json& value);

struct Row {
    std::vector<std::string> cells;  // HTML
    std::string css_class;
};

// No header row when `headers` is empty.
std::string table_html(const std::vector<std::string>& headers, const std::vector<Row>& rows);
std::string key_value_table(const nlohmann::json& object);
// A table of objects: one row each, one column per key (preferred keys first).
std::string objects_table(const std::vector<const nlohmann::json*>& objects,
                          std::vector<std::string> columns);

std::string section(std::string_view id, std::string_view title, std::string_view body);
std::string heading(std::string_view text);
std::string note(std::string_view text);
std::string pre_json(const nlohmann::json& value);
std::string navigation(std::initializer_list<std::pair<const char*, const char*>> links);

// The <script type="application/json" id="report-data"> element holding `data`.
std::string report_data_script(const nlohmann::json& data);

// A complete, self-contained page: doctype, head with the shared CSS, and `body`.
std::string page(const std::string& title, const std::string& body);

}  // namespace sh::reports::html

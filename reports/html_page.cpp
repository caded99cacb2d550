// The shared building blocks of the HTML pages: see html_page.hpp.
#include "reports/html_page.hpp"

#include <cmath>
#include <cstdio>

namespace sh::reports::html {

using nlohmann::json;

namespace {

// JSON inside <script> is raw text: only "</script" or "<!--" could end it early, and escaping
// every '<' (legal only inside JSON strings) rules both out.
std::string json_for_script(const json& value) {
    std::string text;
    for (char c : json_text(value)) text += c == '<' ? std::string("\\u003c") : std::string(1, c);
    return text;
}

constexpr const char* page_style = R"css(
:root { --pass: #2e7d32; --fail: #c62828; --muted: #6b7280; --line: #d1d5db; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 16px 24px 48px; color: #111827; background: #fff; }
h1 { font-size: 1.5rem; margin: 8px 0; }
h2 { font-size: 1.2rem; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1rem; margin: 16px 0 4px; }
nav a { margin-right: 12px; color: #1d4ed8; text-decoration: none; font-size: 0.9rem; }
.verdict { display: inline-block; font-size: 2.6rem; font-weight: 800; padding: 4px 28px;
           border-radius: 8px; color: #fff; letter-spacing: 0.05em; margin: 8px 0; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
.verdict.unknown { background: var(--muted); }
.facts { margin: 12px 0; line-height: 1.6; } .facts b { display: inline-block; min-width: 7em; }
table { border-collapse: collapse; margin: 8px 0; font-size: 0.88rem; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; } td code { font-size: 0.8rem; word-break: break-all; }
section { overflow-x: auto; }  /* a wide table scrolls rather than spilling over the page */
td table { margin: 0; font-size: 0.95em; } td table th { background: #f9fafb; font-weight: 600; }
.headline table { font-size: 1rem; } .headline th, .headline td { padding: 4px 14px; }
.headline td { font-weight: 600; } .headline td + td { text-align: right; }
span.result { font-weight: 800; padding: 0 6px; border-radius: 3px; color: #fff; }
span.result.pass { background: var(--pass); } span.result.fail { background: var(--fail); }
tr.fail td { background: #fde2e2; color: #7f1d1d; font-weight: 700; }
span.bad { background: #fde2e2; color: #7f1d1d; font-weight: 700; padding: 0 4px; }
tr.skipped td { color: var(--muted); } tr.step-failed td { color: #7f1d1d; }
tr.answer td { background: #dcfce7; font-weight: 700; }
.muted, .note { color: var(--muted); } .note { font-size: 0.85rem; margin: 4px 0; }
figure { margin: 16px 0 24px; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; font-size: 12px; }
svg .grid { stroke: #e5e7eb; stroke-width: 1; } svg .frame { fill: none; stroke: #9ca3af; }
svg .tick { fill: #374151; font-size: 11px; } svg .axis-label, svg .legend { fill: #111827; }
svg .band { fill: #9ca3af; opacity: 0.22; } svg .span { opacity: 0.16; }
svg .span-strip { opacity: 0.9; } svg .no-data { fill: var(--muted); font-size: 16px; }
svg .marker { stroke-width: 1.5; stroke-dasharray: 4 3; opacity: 0.75; }
svg .guide { stroke-width: 2; stroke-dasharray: 2 3; }
pre { background: #f9fafb; border: 1px solid var(--line); padding: 8px; font-size: 0.8rem;
      overflow-x: auto; max-height: 480px; }
.answer-box { font-size: 2rem; font-weight: 800; margin: 8px 0; }
)css";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Text, numbers and JSON access

std::string escape_html(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (char c : text) {
        const char* entity = c == '&'    ? "&amp;"
                             : c == '<'  ? "&lt;"
                             : c == '>'  ? "&gt;"
                             : c == '"'  ? "&quot;"
                             : c == '\'' ? "&#39;"
                                         : nullptr;
        if (entity) {
            escaped += entity;
        } else {
            escaped += c;
        }
    }
    return escaped;
}

std::string element(std::string_view name, const Attributes& attributes, std::string_view content) {
    std::string html = "<" + std::string(name);
    for (const auto& [attribute, value] : attributes) {
        html += " " + std::string(attribute) + "=\"" + escape_html(value) + "\"";
    }
    return html + ">" + std::string(content) + "</" + std::string(name) + ">";
}

std::string json_text(const json& value, int indent) {
    return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string exact_number(double value) {
    return json(value).dump();
}

std::string format_number(int decimals, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", std::clamp(decimals, 0, 12), value);
    return buffer;
}

std::string readable_number(double value) {
    if (!std::isfinite(value)) return "–";
    if (value == std::floor(value) && std::fabs(value) < 1e15) return format_number(0, value);
    if (std::fabs(value) >= 100) return format_number(1, value);
    if (std::fabs(value) >= 1) return format_number(2, value);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
}

namespace {

// An array as a cell: scalars in a line, objects as a table of rows, a mix as numbered rows.
std::string array_html(const json& array) {
    if (array.empty()) return element("span", {{"class", "muted"}}, "none");
    bool scalars = std::none_of(array.begin(), array.end(),
                                [](const json& item) { return item.is_structured(); });
    bool objects =
        std::all_of(array.begin(), array.end(), [](const json& item) { return item.is_object(); });
    if (scalars) {
        std::string html;
        for (const auto& item : array) html += (html.empty() ? "" : ", ") + cell_html(item);
        return html;
    }
    if (objects) {
        std::vector<const json*> rows;
        for (const auto& item : array) rows.push_back(&item);
        return objects_table(rows, {});
    }
    std::vector<Row> rows;
    for (std::size_t i = 0; i < array.size(); ++i) {
        rows.push_back({{std::to_string(i), cell_html(array[i])}, ""});
    }
    return table_html({"#", "value"}, rows);
}

}  // namespace

std::string cell_html(const json& value) {
    if (value.is_null()) return element("span", {{"class", "muted"}}, "–");
    if (value.is_string()) return escape_html(value.get<std::string>());
    if (value.is_number_float()) return readable_number(value.get<double>());
    // Nested tables rather than JSON text; require_shallow bounds the depth of a report.
    if (value.is_object()) {
        if (value.empty()) return element("span", {{"class", "muted"}}, "none");
        std::vector<Row> rows;  // no header row: inside a cell, "field | value" is noise
        for (const auto& [key, item] : value.items()) {
            rows.push_back({{escape_html(key), cell_html(item)}, ""});
        }
        return table_html({}, rows);
    }
    if (value.is_array()) return array_html(value);
    return escape_html(json_text(value));
}

std::string text_of(const json& value, std::string fallback) {
    if (value.is_string()) return value.get<std::string>();
    return value.is_null() ? fallback : json_text(value);
}

// ---------------------------------------------------------------------------------------------
// Page building blocks

std::string table_html(const std::vector<std::string>& headers, const std::vector<Row>& rows) {
    std::string head;
    for (const auto& header : headers) head += element("th", {}, escape_html(header));
    if (!head.empty()) head = element("thead", {}, element("tr", {}, head));
    std::string body;
    for (const auto& row : rows) {
        std::string cells;
        for (const auto& cell : row.cells) cells += element("td", {}, cell);
        body += row.css_class.empty() ? element("tr", {}, cells)
                                      : element("tr", {{"class", row.css_class}}, cells);
    }
    return element("table", {}, head + element("tbody", {}, body)) + "\n";
}

std::string key_value_table(const json& object) {
    std::vector<Row> rows;
    for (const auto& [key, value] : object.items()) {
        rows.push_back({{escape_html(key), cell_html(value)}, ""});
    }
    return table_html({"field", "value"}, rows);
}

std::string objects_table(const std::vector<const json*>& objects,
                          std::vector<std::string> columns) {
    for (const auto* object : objects) {
        if (!object->is_object()) continue;
        for (const auto& [key, value] : object->items()) {
            if (!contains(columns, key)) columns.push_back(key);
        }
    }
    std::vector<Row> rows;
    for (const auto* object : objects) {
        Row row;
        for (const auto& column : columns) row.cells.push_back(cell_html(member(*object, column)));
        rows.push_back(std::move(row));
    }
    return table_html(columns, rows);
}

std::string section(std::string_view id, std::string_view title, std::string_view body) {
    return element("section", {{"id", std::string(id)}},
                   "\n" + element("h2", {}, escape_html(title)) + "\n" + std::string(body)) +
           "\n";
}

std::string heading(std::string_view text) {
    return element("h3", {}, escape_html(text)) + "\n";
}

std::string note(std::string_view text) {
    return element("p", {{"class", "note"}}, escape_html(text)) + "\n";
}

std::string pre_json(const json& value) {
    return element("pre", {}, escape_html(json_text(value, 2))) + "\n";
}

std::string navigation(std::initializer_list<std::pair<const char*, const char*>> links) {
    std::string html;
    for (const auto& [id, label] : links)
        html += element("a", {{"href", std::string("#") + id}}, label);
    return element("nav", {}, html) + "\n";
}

std::string report_data_script(const json& data) {
    return element("script", {{"type", "application/json"}, {"id", "report-data"}},
                   json_for_script(data)) +
           "\n";
}

std::string page(const std::string& title, const std::string& body) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
           element("title", {}, escape_html(title)) + "\n" + element("style", {}, page_style) +
           "\n</head>\n<body>\n" + body + "</body>\n</html>\n";
}

}  // namespace sh::reports::html

// The standard exports of a real run and a real capacity search, read back with readers of
// their own (not the writers' code): the .hgrm files against report.json's latency summary and
// histograms, timeline.csv against its timeline, capacity-steps.csv against capacity.json.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "harness/measure/histogram.hpp"
#include "tests/support/harness_process.hpp"

using nlohmann::json;
using sh::testing::read_text_file;
using sh::testing::run_harness;
using sh::testing::workload_path;

namespace {

// ------------------------------------------------------------------ a reader of .hgrm files

struct HgrmRow {
    double value_ms;
    double percentile;  // 0..1
    std::uint64_t total_count;
};

struct Hgrm {
    std::vector<HgrmRow> rows;
    double max_ms = -1;
    std::uint64_t total_count = 0;
    double mean_ms = -1;
    bool header = false;
};

// The format as HdrHistogram's plotter reads it: a header line, rows "value percentile count
// [1/(1-percentile)]", and "#[...]" footer lines.
Hgrm read_hgrm(const std::string& text) {
    Hgrm hgrm;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        if (line.find("Value") != std::string::npos &&
            line.find("Percentile") != std::string::npos &&
            line.find("TotalCount") != std::string::npos &&
            line.find("1/(1-Percentile)") != std::string::npos) {
            hgrm.header = true;
            continue;
        }
        if (line.rfind("#[Mean", 0) == 0) {
            hgrm.mean_ms = std::stod(line.substr(line.find('=') + 1));
            continue;
        }
        if (line.rfind("#[Max", 0) == 0) {
            hgrm.max_ms = std::stod(line.substr(line.find('=') + 1));
            hgrm.total_count = std::stoull(line.substr(line.rfind('=') + 1));
            continue;
        }
        if (line[0] == '#') continue;
        std::istringstream fields(line);
        HgrmRow row{};
        fields >> row.value_ms >> row.percentile >> row.total_count;
        EXPECT_FALSE(fields.fail()) << line;
        hgrm.rows.push_back(row);
    }
    return hgrm;
}

// ------------------------------------------------------------------ a reader of RFC 4180 CSV

using CsvRow = std::vector<std::string>;

std::vector<CsvRow> read_csv(const std::string& text) {
    std::vector<CsvRow> rows;
    CsvRow row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            row.push_back(std::move(field));
            field.clear();
            rows.push_back(std::move(row));
            row.clear();
            ++i;
        } else {
            field += c;
        }
    }
    EXPECT_TRUE(row.empty() && field.empty()) << "the last record ends with CRLF";
    return rows;
}

std::size_t column_of(const CsvRow& header, const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == name) return i;
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
}

// A cell holds the number as report.json prints it: it reads back as the same double.
void expect_cell(const std::string& cell, const json& value, const std::string& what) {
    if (value.is_string()) {
        EXPECT_EQ(cell, value.get<std::string>()) << what;
    } else if (value.is_boolean()) {
        EXPECT_EQ(cell, value.get<bool>() ? "true" : "false") << what;
    } else if (value.is_null()) {
        EXPECT_EQ(cell, "") << what;  // not measured (a step too short to have steady seconds)
    } else {
        ASSERT_FALSE(cell.empty()) << what;
        EXPECT_EQ(std::stod(cell), value.get<double>()) << what;
    }
}

// --------------------------------------------------------------- the histogram's precision

// A bucket holds values within 2^-sub_bucket_bits of each other (exact below 2^(bits+1) us);
// the file prints whole microseconds as ms with 3 decimals, so nothing else is rounded.
double precision_ms(double value_ms) {
    return value_ms * std::ldexp(1.0, -sh::measure::Histogram::sub_bucket_bits);
}

std::uint64_t rank_of(double percent, std::uint64_t total) {
    auto rank =
        static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(total) - 1e-9));
    return std::clamp<std::uint64_t>(rank, 1, total);
}

// Orders at or below `value_ms` in the report's own histograms (first deliveries + recovered).
std::uint64_t report_count_at_or_below(const json& histograms, double value_ms) {
    std::uint64_t count = 0;
    auto max_us = std::max(histograms["first_delivery"]["max"].get<std::uint64_t>(),
                           histograms["recovered"]["max"].get<std::uint64_t>());
    for (const auto* part : {"first_delivery", "recovered"}) {
        for (const auto& bucket : histograms[part]["buckets"]) {
            auto highest = std::min(
                sh::measure::Histogram::highest_equivalent(bucket[0].get<std::size_t>()), max_us);
            // Bucket values are whole microseconds; compare in them, not in rounded ms.
            if (highest <= static_cast<std::uint64_t>(std::llround(value_ms * 1000))) {
                count += bucket[1].get<std::uint64_t>();
            }
        }
    }
    return count;
}

}  // namespace

TEST(Exports, HgrmPercentilesMatchTheReportWithinTheHistogramsPrecision) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--set", "duration_s=2"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto report = run.report();
    ASSERT_FALSE(report["summary"]["groups"].empty());
    for (const auto& [group, summary] : report["summary"]["groups"].items()) {
        SCOPED_TRACE(group);
        const auto& latency = summary["latency"]["end_to_end"];
        auto hgrm = read_hgrm(read_text_file(run.out_dir / ("latency-" + group + ".hgrm")));
        ASSERT_TRUE(hgrm.header);
        ASSERT_FALSE(hgrm.rows.empty());
        auto total = latency["count"].get<std::uint64_t>();
        ASSERT_GT(total, 0u);
        EXPECT_EQ(hgrm.total_count, total);
        EXPECT_EQ(hgrm.rows.back().total_count, total);
        EXPECT_EQ(hgrm.rows.back().percentile, 1.0);
        EXPECT_NEAR(hgrm.mean_ms, latency["mean_ms"].get<double>(), 0.0005);

        // Every row is a point of the report's own distribution: that many orders took at most
        // that long.
        for (const auto& row : hgrm.rows) {
            EXPECT_EQ(row.total_count,
                      report_count_at_or_below(report["histograms"]["groups"][group], row.value_ms))
                << row.value_ms;
        }
        // 50 % and 90 % are on HdrHistogram's tick grid (5 ticks per half distance): a row
        // says the percentile itself. 99 % and 99.9 % fall between ticks: the report's value
        // lies above the last row short of its rank and at or below the first row past it.
        for (const auto& [field, percent] : std::vector<std::pair<const char*, double>>{
                 {"p50_ms", 50}, {"p90_ms", 90}, {"p99_ms", 99}, {"p99_9_ms", 99.9}}) {
            SCOPED_TRACE(field);
            auto expected = latency[field].get<double>();
            auto rank = rank_of(percent, total);
            const HgrmRow* at = nullptr;
            const HgrmRow* below = nullptr;
            for (const auto& row : hgrm.rows) {
                if (row.total_count < rank) below = &row;
                if (!at && row.total_count >= rank) at = &row;
                if (row.percentile == percent / 100) {
                    EXPECT_NEAR(row.value_ms, expected, precision_ms(expected));
                }
            }
            ASSERT_NE(at, nullptr);
            EXPECT_LE(expected, at->value_ms + precision_ms(at->value_ms));
            if (below) {
                EXPECT_GT(expected, below->value_ms - precision_ms(below->value_ms));
            }
        }
        auto on_grid = [&](double fraction) {
            for (const auto& row : hgrm.rows) {
                if (row.percentile == fraction) return true;
            }
            return false;
        };
        EXPECT_TRUE(on_grid(0.5) && on_grid(0.9));
        auto max = latency["max_ms"].get<double>();
        EXPECT_NEAR(hgrm.max_ms, max, precision_ms(max));
        EXPECT_NEAR(hgrm.rows.back().value_ms, max, precision_ms(max));
    }

    auto csv = read_csv(read_text_file(run.out_dir / "timeline.csv"));
    const auto& timeline = report["timeline"];
    ASSERT_EQ(csv.size(), timeline.size() + 1) << "a header and one row per timeline row";
    const auto& header = csv.front();
    EXPECT_EQ(header.front(), "t_s");
    for (std::size_t i = 0; i < timeline.size(); ++i) {
        const auto& row = timeline[i];
        const auto& cells = csv[i + 1];
        ASSERT_EQ(cells.size(), header.size());
        for (const auto* field : {"t_s", "phase", "produced", "produced_per_s", "redis_cpu"}) {
            expect_cell(cells[column_of(header, field)], row[field], field);
        }
        for (const auto& [group, values] : row["groups"].items()) {
            for (const auto* field : {"applied", "applied_per_s", "p99_ms"}) {
                expect_cell(cells[column_of(header, group + "." + field)], values[field],
                            group + "." + field);
            }
        }
    }
}

TEST(Exports, CapacityStepsCsvHoldsTheStepsOfCapacityJson) {
    auto search = run_harness({"capacity", workload_path("smoke.json"), "--search", "step",
                               "--step-duration-s", "1", "--min-rate", "200", "--step-rate", "200",
                               "--max-rate", "400"});
    ASSERT_TRUE(search.exit_code == 0 || search.exit_code == 1) << search.out << search.err;
    auto capacity = json::parse(read_text_file(search.out_dir / "capacity.json"));
    const auto& steps = capacity["steps"];
    ASSERT_GE(steps.size(), 2u);
    auto csv = read_csv(read_text_file(search.out_dir / "capacity-steps.csv"));
    ASSERT_EQ(csv.size(), steps.size() + 1);
    const auto& header = csv.front();
    EXPECT_EQ(header.front(), "rate");
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& cells = csv[i + 1];
        ASSERT_EQ(cells.size(), header.size());
        for (const auto& [field, value] : steps[i].items()) {
            if (value.is_object()) {
                for (const auto& [name, inner] : value.items()) {
                    expect_cell(cells[column_of(header, field + "." + name)], inner,
                                field + "." + name);
                }
            } else {
                expect_cell(cells[column_of(header, field)], value, field);
            }
        }
    }
}

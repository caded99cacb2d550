#include "reports/exports.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace {

using nlohmann::json;
using sh::measure::Histogram;

TEST(HgrmExport, PrintsHdrHistogramsRowsAndFooterForAKnownDistribution) {
    auto histogram = std::make_unique<Histogram>();
    for (std::uint64_t us = 1; us <= 100; ++us) histogram->record(us);
    auto text = sh::reports::render_percentile_distribution(*histogram);
    EXPECT_EQ(text.rfind("       Value     Percentile TotalCount 1/(1-Percentile)\n\n", 0), 0u)
        << text;
    // Ticks: 0, 10, ..., 50, then 5 apart to 75, 2.5 to 87.5, 1.25 to 93.75, ...
    for (const auto* line : {"       0.001 0.000000000000          1           1.00\n",
                             "       0.050 0.500000000000         50           2.00\n",
                             "       0.078 0.775000000000         78           4.44\n",
                             "       0.090 0.900000000000         90          10.00\n",
                             "       0.099 0.989062500000         99          91.43\n"}) {
        EXPECT_NE(text.find(line), std::string::npos) << line << text;
    }
    // The last bucket gives one row and then the 100 % row, without 1/(1-Percentile).
    EXPECT_NE(text.find("       0.100 0.990625000000        100         106.67\n"
                        "       0.100 1.000000000000        100\n"
                        "#[Mean    = "),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("#[Max     =        0.100, Total count    =          100]\n"
                        "#[Buckets =           22, SubBuckets     =         2048]\n"),
              std::string::npos)
        << text;
}

TEST(HgrmExport, AnEmptyHistogramHasItsHeaderAndFooterOnly) {
    auto histogram = std::make_unique<Histogram>();
    auto text = sh::reports::render_percentile_distribution(*histogram);
    EXPECT_EQ(text.find("0.000000000000"), std::string::npos) << text;
    EXPECT_NE(text.find("Total count    =            0]"), std::string::npos) << text;
}

TEST(HgrmExport, FileNamesKeepSafeCharactersAndEncodeTheRest) {
    EXPECT_EQ(sh::reports::hgrm_file_name("score-1_a.b"), "latency-score-1_a.b.hgrm");
    EXPECT_EQ(sh::reports::hgrm_file_name("a/b c%"), "latency-a%2Fb%20c%25.hgrm");
    EXPECT_NE(sh::reports::hgrm_file_name("a<b"), sh::reports::hgrm_file_name("a>b"));
}

TEST(CsvExport, TimelineFlattensGroupsAndQuotesAsRfc4180) {
    json report = {
        {"timeline",
         {{{"t_s", 1.0},
           {"phase", "load"},
           {"produced_per_s", 0.1 + 0.2},
           {"groups", {{"a,\"b\"", {{"applied", 5}, {"p99_ms", 1.25}}}}}},
          {{"t_s", 2.0},
           {"phase", "drain"},
           {"produced_per_s", 3},
           {"groups", {{"a,\"b\"", {{"applied", 6}, {"p99_ms", 1.5}, {"lag", nullptr}}}}}}}}};
    EXPECT_EQ(sh::reports::render_timeline_csv(report),
              "t_s,\"a,\"\"b\"\".applied\",\"a,\"\"b\"\".p99_ms\",phase,produced_per_s,"
              "\"a,\"\"b\"\".lag\"\r\n"
              "1.0,5,1.25,load,0.30000000000000004,\r\n"
              "2.0,6,1.5,drain,3,\r\n");
    EXPECT_EQ(sh::reports::render_timeline_csv(json::object()), "");
}

TEST(CsvExport, CapacityStepsLeadWithWhatTheSearchVaried) {
    json capacity = {{"steps",
                      {{{"consumers", 2},
                        {"rate", 3000},
                        {"passed", false},
                        {"reason", "p99 60 ms > 50 ms; lag 4003 > 1000"},
                        {"p99_ms", {{"push", 60.5}, {"score", 12}}},
                        {"verdict", "pass"}}}}};
    EXPECT_EQ(sh::reports::render_capacity_steps_csv(capacity),
              "consumers,rate,passed,verdict,p99_ms.push,p99_ms.score,reason\r\n"
              "2,3000,false,pass,60.5,12,p99 60 ms > 50 ms; lag 4003 > 1000\r\n");
}

}  // namespace

// summary.md from a report written by hand: what a tag's value can and cannot do to the page.
#include "reports/summary_markdown.hpp"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;

TEST(SummaryMarkdownText, ATagValueStaysInsideItsCodeSpan) {
    json report = {{"run_id", "r1"},
                   {"verdict", "fail"},
                   {"workload", {{"name", "orders"}}},
                   {"gates", json::array()},
                   {"verification", json::object()},
                   {"provenance", {{"tags", {{"branch", "x`\n## streamharness orders: PASS"}}}}}};
    auto markdown = sh::reports::render_summary_markdown(report);
    EXPECT_EQ(markdown.find("\n## streamharness orders: PASS"), std::string::npos) << markdown;
    EXPECT_NE(markdown.find(" `branch=x' ## streamharness orders: PASS`."), std::string::npos)
        << markdown;
}

}  // namespace

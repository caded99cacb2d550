// JUnit XML for CI systems: one test case per gate and per verification check per group, the
// failing numbers in the failure message.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sh::reports {

std::string render_junit(const nlohmann::json& report);

}  // namespace sh::reports

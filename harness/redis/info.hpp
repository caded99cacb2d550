// Reading the server's INFO: one field of a section, as the server writes it.
#pragma once

#include <string>

#include "harness/redis/connection.hpp"

namespace sh::redis {

// An INFO field as text ("" when absent), e.g. info_field(c, "memory", "maxmemory_policy").
std::string info_field(Connection& connection, const std::string& section,
                       const std::string& field);

}  // namespace sh::redis

// The TCP connections of a process we did not write, read from /proc: how a fault finds an
// external consumer's connections to Redis without its cooperation (it need not name them).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace sh::os {

// The local addresses of the TCP sockets a process and its descendants hold, formatted as
// Redis's CLIENT LIST shows a client's addr: "127.0.0.1:52311", "[::1]:52311".
std::vector<std::string> tcp_local_addresses(pid_t pid);

}  // namespace sh::os

// Loopback port helpers.
#pragma once

namespace sh::os {

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it).
int free_loopback_port();

}  // namespace sh::os

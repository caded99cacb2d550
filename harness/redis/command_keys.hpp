// What the cluster layer needs to know about a command, in one table: which argument is the key
// its slot is routed by, whether running it twice leaves the data as running it once (so a
// command whose connection broke after sending may be sent again), and which keyless commands
// every primary must run. Also reads back commands a CommandBuffer encoded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sh::redis {

using Args = std::vector<std::string>;

struct CommandTraits {
    // The routing key, or null for a keyless command (PING, INFO, WAIT, SCRIPT LOAD, ...) and a
    // command the table does not know.
    const std::string* key = nullptr;
    bool known = false;          // the table names the command
    bool idempotent = false;     // twice has the effect of once: safe to resend after an I/O error
    bool every_primary = false;  // SCRIPT LOAD/FLUSH, CONFIG SET: each primary must run it
};

CommandTraits command_traits(const Args& args);

// Splits RESP-encoded commands (arrays of bulk strings, as CommandBuffer writes them) back into
// their arguments; throws std::invalid_argument on anything else.
std::vector<Args> decode_commands(std::string_view resp);

}  // namespace sh::redis

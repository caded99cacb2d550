// What the cluster layer needs to know about a command, in one table: which argument is the key
// its slot is routed by, whether running it twice leaves the data as running it once (so a
// command whose connection broke after sending may be sent again), and which keyless commands
// every primary must run. Also reads back commands a CommandBuffer encoded.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sh::redis {

using Args = std::vector<std::string>;

struct CommandTraits {
    // The routing key (a view into the command's arguments); none for a keyless command (PING,
    // INFO, WAIT, SCRIPT LOAD, ...) and a command the table does not know.
    std::optional<std::string_view> key;
    bool known = false;          // the table names the command
    bool idempotent = false;     // twice has the effect of once: safe to resend after an I/O error
    bool every_primary = false;  // SCRIPT LOAD/FLUSH, CONFIG SET: each primary must run it
};

CommandTraits command_traits(const Args& args);
CommandTraits command_traits(std::span<const std::string_view> args);

// Reads the first RESP-encoded command (an array of bulk strings, as CommandBuffer writes it)
// of `resp` into views of its arguments; returns the bytes it took. Throws
// std::invalid_argument on anything else.
std::size_t scan_command(std::string_view resp, std::vector<std::string_view>& words);
// Every command of `resp`, copied into arguments.
std::vector<Args> decode_commands(std::string_view resp);

}  // namespace sh::redis

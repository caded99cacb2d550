#include "harness/measure/cpu.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace sh::measure {

double process_cpu_s(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return 0;
    // Fields after the command name (which may hold spaces, so start after its closing paren):
    // state is field 3; utime and stime are fields 14 and 15.
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    double utime = 0;
    double stime = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14) utime = std::stod(field);
        if (index == 15) {
            stime = std::stod(field);
            break;
        }
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double redis_cpu_s(redis::Connection& connection) {
    auto reply = connection.command({"INFO", "cpu"});
    std::istringstream info{std::string(redis::ReplyView(reply.get()).text())};
    std::string line;
    double total = 0;
    while (std::getline(info, line)) {
        for (const char* field : {"used_cpu_sys:", "used_cpu_user:"}) {
            if (line.rfind(field, 0) == 0)
                total += std::stod(line.substr(std::string(field).size()));
        }
    }
    return total;
}

}  // namespace sh::measure

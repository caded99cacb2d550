#include "harness/os/sockets.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/os/proc_stat.hpp"

namespace sh::os {

namespace {

// The process and every process below it (a consumer started through a shell or a launcher).
std::set<pid_t> process_tree(pid_t root) {
    std::set<pid_t> tree{root};
    bool grew = true;
    while (grew) {
        grew = false;
        for (auto pid : all_pids()) {
            auto stat = read_proc_stat(pid);
            if (stat && tree.count(stat->parent) > 0 && tree.insert(pid).second) grew = true;
        }
    }
    return tree;
}

std::set<std::string> socket_inodes(const std::set<pid_t>& pids) {
    std::set<std::string> inodes;
    for (auto pid : pids) {
        std::error_code error;
        auto dir = std::filesystem::path("/proc") / std::to_string(pid) / "fd";
        for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
            auto target = std::filesystem::read_symlink(entry.path(), error).string();
            if (target.rfind("socket:[", 0) == 0)
                inodes.insert(target.substr(8, target.size() - 9));
        }
    }
    return inodes;
}

// /proc/net/tcp writes addresses as the kernel holds them: each 32-bit word in host order.
std::string address_of(const std::string& hex, bool v6) {
    std::array<unsigned char, 16> bytes{};
    std::size_t words = v6 ? 4 : 1;
    for (std::size_t w = 0; w < words; ++w) {
        auto word = static_cast<std::uint32_t>(std::stoul(hex.substr(w * 8, 8), nullptr, 16));
        for (std::size_t b = 0; b < 4; ++b) bytes[w * 4 + b] = (word >> (8 * b)) & 0xff;
    }
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof(text));
    return text;
}

void add_addresses(const std::string& table, bool v6, const std::set<std::string>& inodes,
                   std::vector<std::string>& addresses) {
    std::ifstream file(table);
    std::string line;
    std::getline(file, line);  // the header
    while (std::getline(file, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
        fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
            timeout >> inode;
        if (inodes.count(inode) == 0) continue;
        auto colon = local.find(':');
        auto ip = address_of(local.substr(0, colon), v6);
        auto port = std::stoul(local.substr(colon + 1), nullptr, 16);
        addresses.push_back((v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port));
    }
}

}  // namespace

std::vector<std::string> tcp_local_addresses(pid_t pid) {
    auto inodes = socket_inodes(process_tree(pid));
    std::vector<std::string> addresses;
    add_addresses("/proc/net/tcp", false, inodes, addresses);
    add_addresses("/proc/net/tcp6", true, inodes, addresses);
    return addresses;
}

}  // namespace sh::os

#include "harness/os/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "harness/errors.hpp"

namespace sh::os {

int free_loopback_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw EnvironmentError(std::string("socket: ") + strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    int result = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    if (result == 0) result = getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    int saved = errno;
    close(fd);
    if (result != 0) throw EnvironmentError(std::string("bind 127.0.0.1:0: ") + strerror(saved));
    return ntohs(address.sin_port);
}

}  // namespace sh::os

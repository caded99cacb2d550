#include "harness/os/shared_memory.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "harness/errors.hpp"

namespace sh::os {

namespace {
[[noreturn]] void fail(const char* what) {
    throw EnvironmentError(std::string("shared memory: ") + what + ": " + strerror(errno));
}

void* map(int fd, std::size_t bytes) {
    void* data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED) fail("mmap");
    return data;
}
}  // namespace

SharedMemory SharedMemory::create(std::size_t bytes) {
    int fd = memfd_create("streamharness-stats", MFD_CLOEXEC);
    if (fd < 0) fail("memfd_create");
    if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
        close(fd);
        fail("ftruncate");
    }
    return SharedMemory(fd, map(fd, bytes), bytes);
}

SharedMemory SharedMemory::attach(int fd) {
    struct stat info {};
    if (fstat(fd, &info) != 0) fail("fstat of inherited fd");
    auto bytes = static_cast<std::size_t>(info.st_size);
    return SharedMemory(fd, map(fd, bytes), bytes);
}

SharedMemory::~SharedMemory() {
    release();
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void SharedMemory::release() {
    if (data_ != nullptr) munmap(data_, size_);
    if (fd_ >= 0) close(fd_);
    data_ = nullptr;
    fd_ = -1;
}

}  // namespace sh::os

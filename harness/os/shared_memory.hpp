// A shared memory region backed by a memfd: the supervisor creates it, worker processes map the
// same fd, so counters written by a worker survive the worker's SIGKILL.
#pragma once

#include <cstddef>

namespace sh::os {

class SharedMemory {
  public:
    // Creates a zero-filled region of the given size.
    static SharedMemory create(std::size_t bytes);
    // Maps a region whose fd was inherited from the creator.
    static SharedMemory attach(int fd);

    SharedMemory() = default;
    ~SharedMemory();
    SharedMemory(SharedMemory&& other) noexcept;
    SharedMemory& operator=(SharedMemory&& other) noexcept;

    void* data() const { return data_; }
    std::size_t size() const { return size_; }
    int fd() const { return fd_; }

  private:
    SharedMemory(int fd, void* data, std::size_t size) : fd_(fd), data_(data), size_(size) {}
    void release();
    int fd_ = -1;
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace sh::os

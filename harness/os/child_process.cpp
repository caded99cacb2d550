#include "harness/os/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <thread>
#include <utility>

#include "harness/errors.hpp"
#include "harness/os/proc_stat.hpp"

extern char** environ;

namespace sh::os {

namespace {

// True when extra_env sets the variable of "NAME=value" entry.
bool overridden(std::string_view entry, const std::vector<std::string>& extra_env) {
    auto name = entry.substr(0, entry.find('=') + 1);
    for (const auto& extra : extra_env) {
        if (std::string_view(extra).substr(0, name.size()) == name) return true;
    }
    return false;
}

// Everything exec needs, built before fork: between fork and exec only async-signal-safe calls.
struct ExecImage {
    std::vector<std::string> storage;
    std::vector<char*> argv;
    std::vector<char*> envp;

    ExecImage(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
        storage = args;
        std::size_t env_begin = storage.size();
        storage.insert(storage.end(), extra_env.begin(), extra_env.end());
        for (char** entry = environ; *entry != nullptr; ++entry) {
            if (!overridden(*entry, extra_env)) storage.emplace_back(*entry);
        }
        for (std::size_t i = 0; i < env_begin; ++i) argv.push_back(storage[i].data());
        argv.push_back(nullptr);
        for (std::size_t i = env_begin; i < storage.size(); ++i) envp.push_back(storage[i].data());
        envp.push_back(nullptr);
    }
};

[[noreturn]] void exec_child(const ExecImage& image, const SpawnOptions& options, pid_t parent,
                             const char* program) {
    if (options.process_group) setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the parent died before prctl took effect
    // The parent blocks its stop signals (StopSignals); the child starts with none blocked,
    // unless it waits for them the same way: then a SIGTERM that comes before it is ready
    // stays pending for it instead of killing it.
    sigset_t mask;
    sigemptyset(&mask);
    if (options.stop_signals_pending) {
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
    }
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    if (!options.output_path.empty()) {
        int out = open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (out >= 0) {
            dup2(out, STDOUT_FILENO);
            dup2(out, STDERR_FILENO);
            if (out > 2) close(out);
        }
    }
    int first_closed = 3;
    if (options.pass_fd >= 0) {
        if (options.pass_fd != 3) dup2(options.pass_fd, 3);
        first_closed = 4;
    }
    syscall(SYS_close_range, first_closed, ~0U, 0);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
    execve(program, image.argv.data(), image.envp.data());
    _exit(127);
}

}  // namespace

std::string find_on_path(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return access(name.c_str(), X_OK) == 0 ? name : std::string{};
    }
    const char* path = getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return {};
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv,
                                 const SpawnOptions& options) {
    auto program = argv.at(0);
    // A relative path names a file in the child's working directory; a bare name is on PATH.
    if (program.find('/') != std::string::npos && program.front() != '/' && !options.cwd.empty()) {
        program = (std::filesystem::path(options.cwd) / program).string();
    }
    program = find_on_path(program);
    if (program.empty()) throw EnvironmentError("cannot find '" + argv[0] + "' on PATH");
    if (!options.cwd.empty() && !std::filesystem::is_directory(options.cwd)) {
        throw EnvironmentError("no directory '" + options.cwd + "' to start '" + argv[0] + "' in");
    }
    ExecImage image(argv, options.env);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) throw EnvironmentError(std::string("fork failed: ") + strerror(errno));
    if (pid == 0) exec_child(image, options, parent, program.c_str());
    // Also set here, so that no signal sent right after spawn can miss the group.
    if (options.process_group) setpgid(pid, pid);
    return ChildProcess(pid, options.process_group);
}

ChildProcess::~ChildProcess() {
    if (running()) {
        send(SIGKILL);
        wait();
    }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), group_(other.group_), status_(other.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (running()) {
            send(SIGKILL);
            wait();
        }
        pid_ = std::exchange(other.pid_, -1);
        group_ = other.group_;
        status_ = other.status_;
    }
    return *this;
}

void ChildProcess::send(int signo) const {
    ::kill(group_ ? -pid_ : pid_, signo);
}

void ChildProcess::signal(int signo) const {
    if (running()) send(signo);
}

void ChildProcess::kill_leftovers() const {
    // Right after the reap, before the leader's ID can be handed out again.
    if (group_) ::kill(-pid_, SIGKILL);
}

bool ChildProcess::group_alive() const {
    for (auto pid : all_pids()) {
        auto stat = read_proc_stat(pid);
        if (stat && stat->process_group == pid_ && stat->state != 'Z') return true;
    }
    return false;
}

std::optional<int> ChildProcess::poll() {
    if (status_ || pid_ <= 0) return status_;
    int status = 0;
    pid_t result = waitpid(pid_, &status, WNOHANG);
    if (result == pid_) {
        status_ = status;
        kill_leftovers();
    }
    return status_;
}

int ChildProcess::wait() {
    while (!status_ && pid_ > 0) {
        int status = 0;
        pid_t result = waitpid(pid_, &status, 0);
        if (result == pid_) {
            status_ = status;
            kill_leftovers();
        }
        if (result < 0 && errno != EINTR) status_ = 0;
    }
    return status_.value_or(0);
}

bool ChildProcess::stopped() const {
    if (!running()) return false;
    auto stat = read_proc_stat(pid_);
    return stat && stat->state == 'T';
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
    if (!running()) return status_.value_or(0);
    send(SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        // A group has the whole grace to finish, not only its leader: the leader is reaped (and
        // what is left of the group killed) once nothing of the group runs any more.
        if (group_ ? !group_alive() : poll().has_value()) return wait();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    send(SIGKILL);
    return wait();
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    }
    return "wait status " + std::to_string(status);
}

}  // namespace sh::os

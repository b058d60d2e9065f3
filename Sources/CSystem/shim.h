// Linux calls that Swift's Glibc module does not show: glibc declares them
// only under _GNU_SOURCE (defining it here would make this module's view
// of the system headers differ from Glibc's), or in headers that module
// leaves out. Declared and wrapped here so Swift can call them.
#ifndef AUTHGATE_CSYSTEM_SHIM_H
#define AUTHGATE_CSYSTEM_SHIM_H
#include <fcntl.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>

extern int pipe2(int fds[2], int flags);
extern int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
extern pid_t gettid(void);
extern int setpriority(int which, unsigned int who, int prio);
extern int sched_getaffinity(pid_t pid, size_t size, void *mask);
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/// A pipe whose two ends are closed on exec.
static inline int authgate_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/// accept(2) with the new descriptor closed on exec.
static inline int authgate_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

/// Lowers the calling thread's (not the whole process's) scheduling
/// priority: PRIO_PROCESS with a thread id acts on that thread on Linux.
static inline int authgate_nice_this_thread(int nice) { return setpriority(0 /* PRIO_PROCESS */, (unsigned int)gettid(), nice); }

/// POSIX_SPAWN_SETSID (glibc 2.26), which <spawn.h> shows only under _GNU_SOURCE.
static const short authgate_spawn_setsid_flag = 0x80;

/// Asks for SIGKILL when the thread that started this process ends, and
/// names the process (`ps`, `top`). 0 on success.
static inline int authgate_die_with_parent_named(const char *name) {
    if (prctl(PR_SET_PDEATHSIG, 9 /* SIGKILL */) != 0) return -1;
    return prctl(PR_SET_NAME, name);
}

/// CPUs in this process's affinity mask (up to 1024), or -1.
static inline int authgate_affinity_count(void) {
    unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {0};
    if (sched_getaffinity(0, sizeof mask, mask) != 0) return -1;
    int count = 0;
    for (size_t i = 0; i < sizeof mask / sizeof mask[0]; i++) count += __builtin_popcountl(mask[i]);
    return count;
}

/// epoll_ctl with `data` as the event's 64-bit token. epoll_event is
/// packed on x86_64; these two keep it out of Swift.
static inline int authgate_epoll_control(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = { .events = events, .data.u64 = data };
    return epoll_ctl(epfd, op, fd, &event);
}

/// Waits for one event (1 or 0 on timeout, -1 on error); its token in `data`.
static inline int authgate_epoll_wait_one(int epfd, int timeout_ms, uint64_t *data) {
    struct epoll_event event;
    int n = epoll_wait(epfd, &event, 1, timeout_ms);
    if (n == 1) *data = event.data.u64;
    return n;
}
#endif

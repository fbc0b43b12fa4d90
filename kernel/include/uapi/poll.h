/* poll(2) and select(2) as the Linux x86-64 ABI defines them: event bits, struct pollfd, fd_set. */
#pragma once
#include <kestrel/types.h>

#define POLLIN     0x0001
#define POLLPRI    0x0002
#define POLLOUT    0x0004
#define POLLERR    0x0008
#define POLLHUP    0x0010
#define POLLNVAL   0x0020
#define POLLRDNORM 0x0040
#define POLLRDBAND 0x0080
#define POLLWRNORM 0x0100
#define POLLWRBAND 0x0200
#define POLLRDHUP  0x2000

struct pollfd {
    int32_t fd;
    int16_t events;
    int16_t revents;
};

/* select's descriptor sets are bitmaps of nfds bits in 64-bit words; libc's fd_set holds this many. */
#define FD_SETSIZE 1024

/* The timespec and timeval of ppoll, pselect6 and select. */
struct timespec_k {
    int64_t tv_sec;
    int64_t tv_nsec;
};
struct timeval_k {
    int64_t tv_sec;
    int64_t tv_usec;
};

_Static_assert(sizeof(struct pollfd) == 8, "struct pollfd must match the Linux ABI");

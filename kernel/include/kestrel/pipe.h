/* Pipes and FIFOs: a 64 KiB ring shared by a read end and a write end, with blocking and
 * non-blocking I/O, PIPE_BUF atomicity, end of file when no writer is left and EPIPE (plus
 * SIGPIPE) when no reader is. */
#pragma once
#include <kestrel/vfs.h>

#define PIPE_SIZE 65536
#define PIPE_BUF  4096 /* writes of at most this many bytes are never interleaved with others */

/* pipe2(2): two new open files, the read end and the write end. flags: O_NONBLOCK (others are
 * the caller's: O_CLOEXEC goes on the descriptors). */
int pipe_create(int flags, struct file **rd, struct file **wr);

/* A FIFO opened by vfs_open (through the device layer) gets its end of the inode's pipe there;
 * this then waits, as open(2) does, for the other end: a reader for a writer and a writer for a
 * reader, unless O_NONBLOCK. Returns 0, -ENXIO (O_WRONLY|O_NONBLOCK with no reader) or -EINTR.
 * Call it without the VFS lock. */
int fifo_wait_partner(struct file *f);

/* Bytes waiting in the pipe behind f (FIONREAD), or -EINVAL when f is not a pipe. */
int pipe_bytes_ready(struct file *f);

/* For the device layer: sets up f as an end of its FIFO inode's pipe. Under the VFS lock. */
int fifo_open(struct file *f);

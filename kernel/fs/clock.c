/* The VFS's view of the wall clock (kernel only: host tests install their own clock). */
#include <kestrel/clock.h>
#include <kestrel/fs.h>

void vfs_realtime_clock(struct vfs_timespec *ts)
{
    uint64_t ns = clock_realtime_ns();
    ts->sec = (int64_t)(ns / NSEC_PER_SEC);
    ts->nsec = (int64_t)(ns % NSEC_PER_SEC);
}

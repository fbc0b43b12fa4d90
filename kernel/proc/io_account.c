/* Per-process I/O accounting for /proc/[pid]/io (see struct process_io). */
#include <kestrel/process.h>

static void add(uint64_t *counter, uint64_t n)
{
    __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

void io_account_call(bool write, long result)
{
    struct process *p = current_process();
    if (!p)
        return;
    add(write ? &p->io.syscw : &p->io.syscr, 1);
    if (result > 0)
        add(write ? &p->io.wchar : &p->io.rchar, (uint64_t)result);
}

void io_account_disk_read(size_t bytes)
{
    struct process *p = current_process();
    if (p)
        add(&p->io.read_bytes, bytes);
}

void io_account_file_write(size_t bytes)
{
    struct process *p = current_process();
    if (p)
        add(&p->io.write_bytes, bytes);
}

/* Periodic write-back: a kernel thread syncs every mounted filesystem every few seconds, so a
 * machine that loses power or panics loses at most that much of what was written (Linux's
 * flusher threads do the same with dirty_writeback_centisecs = 500). sync(2) does it on demand. */
#include <kestrel/cmdline.h>
#include <kestrel/mount.h>
#include <kestrel/pagecache.h>
#include <kestrel/printk.h>
#include <kestrel/string.h>
#include <kestrel/thread.h>
#include <kestrel/file.h>

#define WRITEBACK_INTERVAL_MS 5000

int super_sync(struct super_block *sb)
{
    /* Pages first: writing them back dirties the filesystem's blocks, which sync then writes. */
    int err = pagecache_writeback_sb(sb);
    int sync_err = sb->ops && sb->ops->sync ? sb->ops->sync(sb) : 0;
    return err ? err : sync_err;
}

static void sync_one(struct super_block *sb, void *ctx)
{
    (void)ctx;
    super_sync(sb); /* an error stays the filesystem's: its blocks stay dirty */
}

void mount_sync_all(void)
{
    mount_for_each_sb(sync_one, NULL);
}

static int writeback_thread(void *arg)
{
    (void)arg;
    for (;;) {
        thread_sleep_ms(WRITEBACK_INTERVAL_MS);
        vfs_lock();
        mount_sync_all();
        vfs_unlock();
    }
    return 0;
}

void writeback_start(void)
{
    const char *opt = cmdline_get("writeback");
    if (opt && strcmp(opt, "off") == 0) {
        pr_info("writeback: off (writeback=off): data reaches disks only on sync and fsync\n");
        return;
    }
    struct thread *t = thread_create("writeback", writeback_thread, NULL, PRIO_DEFAULT);
    if (!t) {
        pr_warn("writeback: no memory for the thread; data reaches disks only on sync\n");
        return;
    }
    thread_detach(t);
}

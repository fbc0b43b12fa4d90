/* KTAP tests of descriptor tables: lowest-free allocation, limits, dup2-style replacement,
 * close-on-exec, fork sharing open file descriptions, growth, and everything freed at the end. */
#include <kestrel/file.h>
#include <kestrel/ktest.h>
#include <kestrel/page.h>
#include <kestrel/tmpfs.h>

static struct file *open_tmp(struct super_block *sb, const char *name)
{
    struct file *f = NULL;
    if (vfs_open(sb->root, name, O_RDWR | O_CREAT, 0600, &f))
        return NULL;
    return f;
}

static void file_table_lowest_free(struct ktest *t)
{
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct files *ft = files_create();
    KTEST_ASSERT(t, ft != NULL);
    struct file *f = open_tmp(sb, "a");
    KTEST_ASSERT(t, f != NULL);
    KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(f), 0, 1024, false), 0);
    KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(f), 0, 1024, false), 1);
    KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(f), 0, 1024, true), 2);
    KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(f), 10, 1024, false), 10);
    KTEST_EXPECT_EQ(t, fd_close(ft, 1), 0);
    KTEST_EXPECT_EQ(t, fd_close(ft, 1), -EBADF);
    KTEST_EXPECT_EQ(t, fd_close(ft, -1), -EBADF);
    KTEST_EXPECT_EQ(t, fd_close(ft, 5000), -EBADF);
    KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(f), 0, 1024, false), 1);
    KTEST_EXPECT_EQ(t, fd_get_cloexec(ft, 2), 1);
    KTEST_EXPECT_EQ(t, fd_get_cloexec(ft, 1), 0);
    KTEST_EXPECT_EQ(t, fd_get_cloexec(ft, 3), -EBADF);
    KTEST_EXPECT_EQ(t, fd_set_cloexec(ft, 1, true), 0);
    KTEST_EXPECT_EQ(t, fd_set_cloexec(ft, 4, true), -EBADF);
    /* The limit: descriptors 0..limit-1 only. */
    KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(f), 0, 3, false), -EMFILE);
    file_put(f); /* the reference the failed install did not consume */
    KTEST_EXPECT_EQ(t, fd_install_at(ft, 3, vfs_file_get(f), 3, false), -EBADF);
    file_put(f);
    struct file *g = fd_get(ft, 10);
    KTEST_EXPECT(t, g == f);
    file_put(g);
    KTEST_EXPECT(t, fd_get(ft, 11) == NULL);
    KTEST_EXPECT(t, fd_get(ft, -5) == NULL);
    KTEST_EXPECT_EQ(t, f->refcount, 5); /* ours and four descriptors */
    files_close_on_exec(ft);
    KTEST_EXPECT(t, fd_get(ft, 1) == NULL);
    KTEST_EXPECT(t, fd_get(ft, 2) == NULL);
    KTEST_EXPECT_EQ(t, f->refcount, 3);
    files_put(ft);
    KTEST_EXPECT_EQ(t, f->refcount, 1);
    file_put(f);
    tmpfs_unmount(sb);
}

static void file_table_install_at_replaces(struct ktest *t)
{
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct files *ft = files_create();
    struct file *a = open_tmp(sb, "a"), *b = open_tmp(sb, "b");
    KTEST_ASSERT(t, ft && a && b);
    KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(a), 0, 1024, true), 0);
    KTEST_EXPECT_EQ(t, fd_install_at(ft, 0, vfs_file_get(b), 1024, false), 0);
    KTEST_EXPECT_EQ(t, a->refcount, 1); /* the old file was closed */
    KTEST_EXPECT_EQ(t, fd_get_cloexec(ft, 0), 0);
    /* Far beyond the initial size: the table grows. */
    KTEST_EXPECT_EQ(t, fd_install_at(ft, 700, vfs_file_get(a), 1024, true), 700);
    KTEST_EXPECT(t, files_size(ft) > 700);
    KTEST_EXPECT_EQ(t, fd_get_cloexec(ft, 700), 1);
    KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(a), 700, 1024, false), 701);
    files_put(ft);
    KTEST_EXPECT_EQ(t, a->refcount, 1);
    KTEST_EXPECT_EQ(t, b->refcount, 1);
    file_put(a);
    file_put(b);
    tmpfs_unmount(sb);
}

/* fork shares each open file description: the offset moves for both tables. */
static void file_table_fork_shares_descriptions(struct ktest *t)
{
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct files *parent = files_create();
    struct file *f = open_tmp(sb, "shared");
    KTEST_ASSERT(t, parent && f);
    KTEST_EXPECT_EQ(t, fd_install(parent, f, 0, 1024, false), 0);
    KTEST_EXPECT_EQ(t, fd_install_at(parent, 5, vfs_file_get(f), 1024, true), 5);
    struct files *child = files_fork(parent);
    KTEST_ASSERT(t, child != NULL);
    KTEST_EXPECT_EQ(t, fd_get_cloexec(child, 5), 1);
    struct file *pc = fd_get(child, 0), *pp = fd_get(parent, 0);
    KTEST_EXPECT(t, pc == pp);
    KTEST_EXPECT_EQ(t, vfs_write(pc, "hello", 5), 5);
    KTEST_EXPECT_EQ(t, vfs_lseek(pp, 0, SEEK_CUR), 5);
    file_put(pc);
    file_put(pp);
    KTEST_EXPECT_EQ(t, fd_close(child, 0), 0);
    KTEST_EXPECT_EQ(t, f->refcount, 3);
    files_put(child);
    KTEST_EXPECT_EQ(t, f->refcount, 2);
    files_put(parent);
    tmpfs_unmount(sb); /* panics if a reference were left */
}

/* Thousands of descriptors come and go without losing pages. */
static void file_table_no_leaks(struct ktest *t)
{
    struct super_block *sb;
    KTEST_ASSERT_EQ(t, tmpfs_mount(&sb), 0);
    struct file *f = open_tmp(sb, "x");
    KTEST_ASSERT(t, f != NULL);
    size_t before = 0;
    for (int round = 0; round < 20; round++) {
        if (round == 1)
            before = pmm_free_pages(); /* after a first round filled the allocator's caches */
        struct files *ft = files_create();
        KTEST_ASSERT(t, ft != NULL);
        for (int i = 0; i < 1024; i++) {
            if (fd_install(ft, vfs_file_get(f), 0, 1024, i & 1) != i) {
                KTEST_EXPECT(t, false);
                break;
            }
        }
        KTEST_EXPECT_EQ(t, fd_install(ft, vfs_file_get(f), 0, 1024, false), -EMFILE);
        file_put(f);
        struct files *copy = files_fork(ft);
        KTEST_ASSERT(t, copy != NULL);
        files_close_on_exec(copy);
        files_put(ft);
        files_put(copy);
    }
    KTEST_EXPECT_EQ(t, f->refcount, 1);
    KTEST_EXPECT_EQ(t, pmm_free_pages(), before);
    file_put(f);
    tmpfs_unmount(sb);
}

KTEST_SUITE(file_table, KTEST_CASE(file_table_lowest_free), KTEST_CASE(file_table_install_at_replaces),
            KTEST_CASE(file_table_fork_shares_descriptions), KTEST_CASE(file_table_no_leaks));

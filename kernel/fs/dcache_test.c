/* KTAP tests of the dentry cache on a filesystem made up here: a root directory that holds one
 * file ("here"), fails "bad" with EIO and has nothing else, and counts how often it is asked. So
 * each test sees exactly when the cache answers and when the filesystem does, and what references
 * the cache holds. */
#include <kestrel/dcache.h>
#include <kestrel/format.h>
#include <kestrel/ktest.h>
#include <kestrel/string.h>

struct fake_fs {
    struct super_block sb;
    struct inode root, file;
    int lookups;
};

static struct fake_fs fake;

static int fake_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    (void)dir;
    fake.lookups++;
    if (len == 3 && memcmp(name, "bad", 3) == 0)
        return -EIO;
    if (len == 4 && memcmp(name, "here", 4) == 0) {
        *out = inode_get(&fake.file);
        return 0;
    }
    return -ENOENT;
}

/* Both inodes are static: the last reference going is only a count that must never reach 0. */
static void fake_release(struct inode *inode)
{
    (void)inode;
}

static const struct inode_ops fake_ops = {.lookup = fake_lookup, .release = fake_release};

static void fake_mount(void)
{
    super_init(&fake.sb);
    inode_init(&fake.root, &fake.sb, &fake_ops, S_IFDIR | 0755);
    fake.root.nlink = 2;
    inode_init(&fake.file, &fake.sb, &fake_ops, S_IFREG | 0644);
    fake.sb.root = &fake.root;
    fake.lookups = 0;
}

/* The lookup's result, its reference dropped at once: only the count is kept by the caller. */
static int look(const char *name)
{
    struct inode *out = NULL;
    int err = dcache_lookup(&fake.root, name, strlen(name), &out);
    if (!err && out != &fake.file)
        return -EINVAL;
    if (!err)
        inode_put(out);
    return err;
}

static void dcache_hits_skip_the_filesystem(struct ktest *t)
{
    fake_mount();
    size_t before = dcache_entries();
    KTEST_EXPECT_EQ(t, look("here"), 0);
    KTEST_EXPECT_EQ(t, look("here"), 0);
    KTEST_EXPECT_EQ(t, fake.lookups, 1);
    KTEST_EXPECT_EQ(t, fake.file.refcount, 2); /* its own and the cache's */
    KTEST_EXPECT_EQ(t, look("missing"), -ENOENT);
    KTEST_EXPECT_EQ(t, look("missing"), -ENOENT); /* a negative entry */
    KTEST_EXPECT_EQ(t, fake.lookups, 2);
    KTEST_EXPECT_EQ(t, look("bad"), -EIO);
    KTEST_EXPECT_EQ(t, look("bad"), -EIO); /* an error other than ENOENT is not remembered */
    KTEST_EXPECT_EQ(t, fake.lookups, 4);
    KTEST_EXPECT_EQ(t, dcache_entries(), before + 2);
    dcache_prune_sb(&fake.sb);
    KTEST_EXPECT_EQ(t, dcache_entries(), before);
    KTEST_EXPECT_EQ(t, fake.file.refcount, 1);
    KTEST_EXPECT_EQ(t, fake.root.refcount, 1);
}

static void dcache_forget_drops_one_name(struct ktest *t)
{
    fake_mount();
    KTEST_EXPECT_EQ(t, look("here"), 0);
    KTEST_EXPECT_EQ(t, look("other"), -ENOENT);
    /* Each entry holds its directory, so a directory's memory cannot be reused under an entry. */
    KTEST_EXPECT_EQ(t, fake.root.refcount, 3);
    dcache_forget(&fake.root, "here", 4);
    KTEST_EXPECT_EQ(t, fake.file.refcount, 1);
    KTEST_EXPECT_EQ(t, fake.root.refcount, 2);
    KTEST_EXPECT_EQ(t, look("here"), 0);
    KTEST_EXPECT_EQ(t, look("other"), -ENOENT);
    KTEST_EXPECT_EQ(t, fake.lookups, 3); /* "here" asked again, "other" still cached */
    dcache_forget_dir(&fake.root);
    KTEST_EXPECT(t, fake.root.dentries == NULL);
    KTEST_EXPECT_EQ(t, fake.root.refcount, 1);
    KTEST_EXPECT_EQ(t, fake.file.refcount, 1);
}

static void dcache_fold_case_forgets_the_directory(struct ktest *t)
{
    fake_mount();
    fake.sb.names_fold_case = true;
    KTEST_EXPECT_EQ(t, look("here"), 0);
    KTEST_EXPECT_EQ(t, look("foo"), -ENOENT);
    KTEST_EXPECT_EQ(t, look("bar"), -ENOENT);
    dcache_forget(&fake.root, "FOO", 3); /* "FOO" may be "foo": every name of the directory goes */
    KTEST_EXPECT(t, fake.root.dentries == NULL);
    KTEST_EXPECT_EQ(t, fake.file.refcount, 1);
    KTEST_EXPECT_EQ(t, look("bar"), -ENOENT);
    KTEST_EXPECT_EQ(t, fake.lookups, 4);
    dcache_prune_sb(&fake.sb);
}

static void dcache_skips_volatile_and_removed_dirs(struct ktest *t)
{
    fake_mount();
    size_t before = dcache_entries();
    fake.sb.names_volatile = true;
    KTEST_EXPECT_EQ(t, look("here"), 0);
    KTEST_EXPECT_EQ(t, look("here"), 0);
    KTEST_EXPECT_EQ(t, look("gone"), -ENOENT);
    KTEST_EXPECT_EQ(t, look("gone"), -ENOENT);
    KTEST_EXPECT_EQ(t, fake.lookups, 4);
    fake.sb.names_volatile = false;
    fake.root.nlink = 0; /* removed: nothing may keep it alive */
    KTEST_EXPECT_EQ(t, look("gone"), -ENOENT);
    KTEST_EXPECT_EQ(t, look("gone"), -ENOENT);
    KTEST_EXPECT_EQ(t, fake.lookups, 6);
    KTEST_EXPECT_EQ(t, dcache_entries(), before);
    KTEST_EXPECT_EQ(t, fake.root.refcount, 1);
}

/* Past the cap the least recently used entry goes: the newest names and a name used again stay. */
static void dcache_is_bounded_lru(struct ktest *t)
{
    fake_mount();
    char name[16];
    KTEST_EXPECT_EQ(t, look("here"), 0);
    for (int i = 0; i < DCACHE_MAX_ENTRIES + 100; i++) {
        ksnprintf(name, sizeof(name), "n%d", i);
        KTEST_EXPECT_EQ(t, look(name), -ENOENT);
        if (i % 64 == 0)
            KTEST_EXPECT_EQ(t, look("here"), 0); /* kept recent */
    }
    KTEST_EXPECT_EQ(t, dcache_entries(), DCACHE_MAX_ENTRIES);
    int asked = fake.lookups;
    KTEST_EXPECT_EQ(t, look("here"), 0);
    ksnprintf(name, sizeof(name), "n%d", DCACHE_MAX_ENTRIES + 99);
    KTEST_EXPECT_EQ(t, look(name), -ENOENT);
    KTEST_EXPECT_EQ(t, fake.lookups, asked); /* both still cached */
    KTEST_EXPECT_EQ(t, look("n0"), -ENOENT);
    KTEST_EXPECT_EQ(t, fake.lookups, asked + 1); /* the oldest went */
    KTEST_EXPECT_EQ(t, fake.root.refcount, 1 + DCACHE_MAX_ENTRIES);
    dcache_prune();
    KTEST_EXPECT_EQ(t, dcache_entries(), 0);
    KTEST_EXPECT_EQ(t, fake.root.refcount, 1);
    KTEST_EXPECT_EQ(t, fake.file.refcount, 1);
}

KTEST_SUITE(dcache, KTEST_CASE(dcache_hits_skip_the_filesystem), KTEST_CASE(dcache_forget_drops_one_name),
            KTEST_CASE(dcache_fold_case_forgets_the_directory),
            KTEST_CASE(dcache_skips_volatile_and_removed_dirs), KTEST_CASE(dcache_is_bounded_lru));

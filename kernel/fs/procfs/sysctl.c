/* /proc/sys: the kernel's settings as files, in Linux's places and formats, so that busybox
 * sysctl and scripts that echo into them work: kernel/{ostype,osrelease,version,hostname,
 * domainname} and vm/drop_caches. Reads show the value and a newline; writes take the text
 * whole (the VFS has checked the file's mode: only root writes). */
#include <kestrel/printk.h>
#include <kestrel/process.h>
#include <kestrel/string.h>
#include <kestrel/utsname.h>
#include <kestrel/version.h>
#include <kestrel/vfs.h>
#include "internal.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* One decimal integer with optional whitespace around it, as Linux's integer settings take. */
static int parse_int(const char *text, size_t len, long *out)
{
    size_t i = 0;
    while (i < len && is_space(text[i]))
        i++;
    size_t start = i;
    long v = 0;
    for (; i < len && text[i] >= '0' && text[i] <= '9' && v < 100000000; i++)
        v = v * 10 + (text[i] - '0');
    if (i == start)
        return -EINVAL;
    while (i < len && is_space(text[i]))
        i++;
    if (i != len)
        return -EINVAL;
    *out = v;
    return 0;
}

/* 4 silences the log line, as on Linux; the line says who dropped the caches, since doing it
 * changes what every later measurement sees. */
static bool drop_quiet;

static int store_drop_caches(const char *text, size_t len)
{
    long v;
    int err = parse_int(text, len, &v);
    if (err || v < 1 || v > 4)
        return -EINVAL;
    if (v & 3) {
        vfs_drop_caches((unsigned)v & 3); /* cannot fail for 1..3 */
        struct process *p = current_process();
        if (!drop_quiet && p)
            pr_info("%s (%d): drop_caches: %ld\n", p->comm, p->pid, v);
    }
    drop_quiet |= v & 4;
    return 0;
}

static int show_ostype(struct pbuf *b, int pid)
{
    (void)pid;
    pb_printf(b, "%s\n", KESTREL_NAME);
    return 0;
}

static int show_osrelease(struct pbuf *b, int pid)
{
    (void)pid;
    pb_printf(b, "%s\n", KESTREL_VERSION);
    return 0;
}

static int show_version(struct pbuf *b, int pid)
{
    (void)pid;
    pb_printf(b, "#1 %s %s\n", KESTREL_NAME, KESTREL_VERSION); /* uname -v */
    return 0;
}

static void show_name(struct pbuf *b, enum uts_name which)
{
    char name[UTS_LEN];
    utsname_get(which, name);
    pb_printf(b, "%s\n", name);
}

/* A name ends at the first newline (echo's); one too long is cut, as Linux's string settings do. */
static int store_name(enum uts_name which, const char *text, size_t len)
{
    size_t n = 0;
    while (n < len && text[n] != '\n' && text[n] != '\0')
        n++;
    return utsname_set(which, text, MIN(n, (size_t)UTS_LEN - 1));
}

static int show_hostname(struct pbuf *b, int pid)
{
    (void)pid;
    show_name(b, UTS_HOSTNAME);
    return 0;
}

static int store_hostname(const char *text, size_t len)
{
    return store_name(UTS_HOSTNAME, text, len);
}

static int show_domainname(struct pbuf *b, int pid)
{
    (void)pid;
    show_name(b, UTS_DOMAINNAME);
    return 0;
}

static int store_domainname(const char *text, size_t len)
{
    return store_name(UTS_DOMAINNAME, text, len);
}

static const struct proc_entry kernel_entries[] = {
    {"domainname", S_IFREG | 0644, .show = show_domainname, .store = store_domainname},
    {"hostname", S_IFREG | 0644, .show = show_hostname, .store = store_hostname},
    {"osrelease", S_IFREG | 0444, .show = show_osrelease},
    {"ostype", S_IFREG | 0444, .show = show_ostype},
    {"version", S_IFREG | 0444, .show = show_version},
};

static const struct proc_entry vm_entries[] = {
    {"drop_caches", S_IFREG | 0200, .store = store_drop_caches},
};

static const struct proc_table kernel_table = {kernel_entries, ARRAY_SIZE(kernel_entries), 0x1101,
                                               &proc_sys_table, true};
static const struct proc_table vm_table = {vm_entries, ARRAY_SIZE(vm_entries), 0x1201, &proc_sys_table, true};

static const struct proc_entry sys_entries[] = {
    {"kernel", S_IFDIR | 0555, .sub = &kernel_table},
    {"vm", S_IFDIR | 0555, .sub = &vm_table},
};

const struct proc_table proc_sys_table = {sys_entries, ARRAY_SIZE(sys_entries), 0x1001, NULL, true};

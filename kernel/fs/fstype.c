/* The filesystem types mount(2) can name. Each filesystem registers itself once at boot, before
 * anything is mounted, so the list needs no lock: it is only read after boot. */
#include <kestrel/fs.h>
#include <kestrel/string.h>

static struct fs_type *fs_types;

void fs_type_register(struct fs_type *type)
{
    struct fs_type **link = &fs_types;
    while (*link) /* appended, so /proc/filesystems lists them in registration order */
        link = &(*link)->next;
    type->next = NULL;
    *link = type;
}

struct fs_type *fs_type_find(const char *name)
{
    for (struct fs_type *t = fs_types; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

struct fs_type *fs_type_first(void)
{
    return fs_types;
}

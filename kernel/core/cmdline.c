/* Kernel command-line parsing. The line is copied once at boot into a static buffer and split in
 * place, so every value handed out stays valid for the kernel's lifetime. */
#include <kestrel/cmdline.h>
#include <kestrel/string.h>

#define CMDLINE_MAX 1024
#define MAX_PARAMS  64

struct param {
    const char *key;
    const char *value;
};

static char raw[CMDLINE_MAX];
static char split[CMDLINE_MAX];
static struct param params[MAX_PARAMS];
static size_t nparams;

void cmdline_init(const char *line)
{
    strlcpy(raw, line ? line : "", sizeof(raw));
    strlcpy(split, raw, sizeof(split));
    nparams = 0;
    char *p = split;
    while (*p && nparams < MAX_PARAMS) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        struct param *pr = &params[nparams++];
        pr->key = p;
        pr->value = "";
        while (*p && *p != ' ' && *p != '=')
            p++;
        if (*p == '=') {
            *p++ = 0;
            pr->value = p;
            while (*p && *p != ' ')
                p++;
        }
    }
}

const char *cmdline_raw(void)
{
    return raw;
}

const char *cmdline_get(const char *key)
{
    /* The last occurrence wins, as on Linux, so appended options override earlier ones. */
    for (size_t i = nparams; i-- > 0;)
        if (strcmp(params[i].key, key) == 0)
            return params[i].value;
    return NULL;
}

long cmdline_get_long(const char *key, long def)
{
    const char *v = cmdline_get(key);
    if (!v || !*v)
        return def;
    long n = 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return def;
        n = n * 10 + (*v - '0');
    }
    return n;
}

/* The kernel command line: space-separated words, each "key" or "key=value". */
#pragma once
#include <kestrel/types.h>

void cmdline_init(const char *line);
/* The whole command line as given. */
const char *cmdline_raw(void);
/* The value of key=..., "" for a bare key, NULL when absent. Values stay valid forever. */
const char *cmdline_get(const char *key);
/* The value of key parsed as a decimal number, or def when absent or malformed. */
long cmdline_get_long(const char *key, long def);

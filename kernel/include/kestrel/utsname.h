/* The host and domain names (uname's nodename and domainname), set by sethostname/setdomainname
 * and through /proc/sys/kernel/{hostname,domainname}. */
#pragma once
#include <kestrel/types.h>

#define UTS_LEN 65 /* each field of struct utsname, the NUL included */

enum uts_name { UTS_HOSTNAME, UTS_DOMAINNAME };

/* Copies the name, NUL-terminated, into out. */
void utsname_get(enum uts_name which, char out[UTS_LEN]);
/* Sets the name to len bytes of name (kernel memory): -EINVAL unless len < UTS_LEN. The caller
 * has checked the caller's right to. */
int utsname_set(enum uts_name which, const char *name, size_t len);

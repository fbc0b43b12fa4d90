/* Path limits of the Linux ABI: PATH_MAX counts the terminating NUL, NAME_MAX does not. */
#pragma once

#define PATH_MAX    4096
#define NAME_MAX    255
/* How many symbolic links one path resolution may follow before it fails with ELOOP. */
#define SYMLOOP_MAX 40

/* The kernel's name and version as printed at boot (and later by uname). */
#pragma once

#define KESTREL_NAME    "Kestrel"
#define KESTREL_VERSION "0.1.0"
#define KESTREL_BANNER  KESTREL_NAME " " KESTREL_VERSION " (x86_64) booting"

/* Deliberate crashes for the test harness's own tests
 * (crash=pagefault|triple|hang|panic|console|sleep-in-spinlock): each must be reported as a failure, never
 * mistaken for a pass. */
#pragma once
#include <kestrel/types.h>

__noreturn void crash_run(const char *kind);

/* Kernel random numbers: a ChaCha20 generator with fast key erasure, seeded from RDSEED/RDRAND when the
 * CPU has them and from TSC jitter always. Backs getrandom(2), AT_RANDOM and /dev/urandom. */
#pragma once
#include <kestrel/types.h>

/* Fills buf with n random bytes. Never blocks; seeds itself on first use. Any context but NMI. */
void random_bytes(void *buf, size_t n);
/* Mixes caller-supplied bytes (timings, device noise) into the generator's key. */
void random_mix(const void *data, size_t n);

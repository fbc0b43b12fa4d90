/* The ChaCha20 block function (RFC 8439): the core of the kernel's random number generator. Pure
 * code, host-tested against the RFC's test vectors. */
#pragma once
#include <kestrel/types.h>

#define CHACHA20_KEY_BYTES   32
#define CHACHA20_NONCE_BYTES 12
#define CHACHA20_BLOCK_BYTES 64

/* One 64-byte keystream block for key, 32-bit block counter and 96-bit nonce. */
void chacha20_block(const uint8_t key[CHACHA20_KEY_BYTES], uint32_t counter,
                    const uint8_t nonce[CHACHA20_NONCE_BYTES], uint8_t out[CHACHA20_BLOCK_BYTES]);

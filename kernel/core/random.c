/* The kernel's random number generator. ChaCha20 with "fast key erasure": each request draws keystream
 * from the current key, takes the first 32 bytes as the next key and hands out the rest, so a later
 * compromise of the state reveals nothing already produced. The seed mixes RDSEED/RDRAND output (when
 * CPUID offers them) with the low bits of many TSC readings taken across timer-dependent work. */
#include <arch/cpu.h>
#include <kestrel/chacha20.h>
#include <kestrel/random.h>
#include <kestrel/spinlock.h>
#include <kestrel/string.h>
#include <kestrel/time.h>

/* Protects key and seeded. Interrupts off while held: a handler may ask for random bytes. */
static struct spinlock random_lock = SPINLOCK_INIT("random");
static uint8_t key[CHACHA20_KEY_BYTES];
static bool seeded;

/* Bytes handed out per key: larger requests loop, taking the lock again for each chunk. */
#define CHUNK (4 * CHACHA20_BLOCK_BYTES)

static bool cpu_rdrand(uint64_t *v)
{
    uint8_t ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
    return ok;
}

static bool cpu_rdseed(uint64_t *v)
{
    uint8_t ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
    return ok;
}

/* One 64-bit word from the CPU's generator, or 0 when it has none (or keeps failing). */
static uint64_t hardware_word(bool has_rdseed, bool has_rdrand)
{
    uint64_t v;
    for (int tries = 0; tries < 10; tries++) {
        if (has_rdseed && cpu_rdseed(&v))
            return v;
        if (has_rdrand && cpu_rdrand(&v))
            return v;
    }
    return 0;
}

/* XORs data into the key through one ChaCha20 block keyed by the old key, so whatever the data is
 * (even attacker-chosen), the new key is at least as unpredictable as the old one. Lock held. */
static void mix_locked(const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n) {
        uint8_t material[CHACHA20_NONCE_BYTES] = {0};
        size_t take = MIN(n, sizeof(material));
        memcpy(material, p, take);
        uint8_t block[CHACHA20_BLOCK_BYTES];
        chacha20_block(key, 0xffffffffu, material, block);
        memcpy(key, block, sizeof(key));
        memset(block, 0, sizeof(block));
        p += take;
        n -= take;
    }
}

static void seed_locked(void)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    bool has_rdrand = c & (1u << 30);
    cpuid(7, 0, &a, &b, &c, &d);
    bool has_rdseed = b & (1u << 18);
    uint64_t words[8];
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        words[i] = hardware_word(has_rdseed, has_rdrand);
    mix_locked(words, sizeof(words));
    /* TSC jitter: the time each iteration takes varies with caches, interrupts and the emulator. */
    for (int i = 0; i < 64; i++) {
        uint64_t sample[2] = {rdtsc(), time_ns()};
        for (volatile int spin = 0; spin < (int)(sample[0] & 63); spin++)
            ;
        sample[0] ^= rdtsc() << 17;
        mix_locked(sample, sizeof(sample));
    }
    memset(words, 0, sizeof(words));
    seeded = true;
}

void random_mix(const void *data, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&random_lock);
    mix_locked(data, n);
    spin_unlock_irqrestore(&random_lock, flags);
}

/* Up to CHUNK bytes: keystream blocks 1.. go out, block 0's first half becomes the next key. */
static void generate_chunk(uint8_t *out, size_t n)
{
    static const uint8_t nonce[CHACHA20_NONCE_BYTES];
    uint8_t block[CHACHA20_BLOCK_BYTES];
    uint64_t flags = spin_lock_irqsave(&random_lock);
    if (!seeded)
        seed_locked();
    uint8_t next_key[CHACHA20_KEY_BYTES];
    chacha20_block(key, 0, nonce, block);
    memcpy(next_key, block, sizeof(next_key));
    for (uint32_t ctr = 1; n; ctr++) {
        chacha20_block(key, ctr, nonce, block);
        size_t take = MIN(n, sizeof(block));
        memcpy(out, block, take);
        out += take;
        n -= take;
    }
    memcpy(key, next_key, sizeof(key));
    spin_unlock_irqrestore(&random_lock, flags);
    memset(block, 0, sizeof(block));
    memset(next_key, 0, sizeof(next_key));
}

void random_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        size_t take = MIN(n, (size_t)CHUNK);
        generate_chunk(p, take);
        p += take;
        n -= take;
    }
}

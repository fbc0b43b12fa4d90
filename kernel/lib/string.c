/* Freestanding implementations of the C memory and string functions. */
#include <kestrel/string.h>

/* The rep string instructions move eight bytes per iteration, then the last n % 8 one at a time.
 * Hardware with ERMSB is as fast with bytes, but under QEMU's TCG every iteration costs about the same
 * whatever its width, and the byte form made memcpy and memset the top of every copying profile
 * (docs/performance.md). Forward qword moves keep memmove's forward case correct: each qword is
 * read before any later write can reach it. */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *ret = dst;
    size_t qwords = n / 8;
    __asm__ volatile("rep movsq\n\t"
                     "movq %[tail], %%rcx\n\t"
                     "rep movsb"
                     : "+D"(dst), "+S"(src), "+c"(qwords)
                     : [tail] "r"(n % 8)
                     : "memory");
    return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *ret = dst;
    size_t qwords = n / 8;
    uint64_t pattern = 0x0101010101010101ull * (uint8_t)c; /* the byte in all eight lanes */
    __asm__ volatile("rep stosq\n\t"
                     "movq %[tail], %%rcx\n\t"
                     "rep stosb"
                     : "+D"(dst), "+c"(qwords)
                     : "a"(pattern), [tail] "r"(n % 8)
                     : "memory");
    return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || !a[i])
            return (unsigned char)a[i] - (unsigned char)b[i];
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = 0;
    }
    return len;
}

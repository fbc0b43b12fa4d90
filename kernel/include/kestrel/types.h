/* Basic fixed-size types and compiler helpers used everywhere in the kernel (and in host tests). */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;
typedef int64_t ssize_t;

#define ARRAY_SIZE(a)                   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)                  (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a)                ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a)                (((x) & ((__typeof__(x))(a)-1)) == 0)
#define MIN(a, b)                       ((a) < (b) ? (a) : (b))
#define MAX(a, b)                       ((a) > (b) ? (a) : (b))
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define likely(x)      __builtin_expect(!!(x), 1)
#define unlikely(x)    __builtin_expect(!!(x), 0)
#define __noreturn     __attribute__((noreturn))
#define __packed       __attribute__((packed))
#define __unused       __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))

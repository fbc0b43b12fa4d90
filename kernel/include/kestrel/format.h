/* printf-style formatting into a bounded buffer; pure code, also built for the host tests. */
#pragma once
#include <kestrel/types.h>

/* Like C's vsnprintf: writes at most size bytes including the NUL and returns the length the full
 * output would have had. Supports %d %i %u %x %X %o %p %s %c %% with l/ll/z/h/hh, width, '-', '0',
 * '+', ' ', '#' and precision. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* Symbolized backtraces from the frame-pointer chain and the embedded symbol table. */
#pragma once
#include <kestrel/types.h>

/* Returns the name of the function containing addr and its offset, or NULL if none does. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset, uint64_t *size);
/* The symbol table as an array, for per-function counters (the profiler): the number of functions,
 * the index of the one containing addr (-1 if none does), and the name and start address at an index
 * (NULL or 0 past the end). */
size_t ksym_count(void);
long ksym_index(uint64_t addr);
const char *ksym_name_at(size_t index);
uint64_t ksym_addr_at(size_t index);
/* Prints "  [<addr>] func+0xoff/0xsize" for addr. */
void backtrace_print_addr(uint64_t addr);
/* Prints the caller chain starting at the frame whose saved rbp is rbp. */
void backtrace_print(uint64_t rbp);

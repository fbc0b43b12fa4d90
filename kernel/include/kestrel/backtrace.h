/* Symbolized backtraces from the frame-pointer chain and the embedded symbol table. */
#pragma once
#include <kestrel/types.h>

/* Returns the name of the function containing addr and its offset, or NULL if none does. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset, uint64_t *size);
/* Prints "  [<addr>] func+0xoff/0xsize" for addr. */
void backtrace_print_addr(uint64_t addr);
/* Prints the caller chain starting at the frame whose saved rbp is rbp. */
void backtrace_print(uint64_t rbp);

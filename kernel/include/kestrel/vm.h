/* Address spaces and 4 KiB page mappings on the hardware page tables. Every address space shares the
 * kernel half (from 0xffff800000000000 up); the user half (below 0x0000800000000000) is its own. */
#pragma once
#include <kestrel/types.h>

/* Mapping permissions and attributes; a mapping is always readable and never executable unless asked. */
enum vm_flags {
    VM_WRITE = 1 << 0,
    VM_USER = 1 << 1,     /* reachable from ring 3 (user half only) */
    VM_EXEC = 1 << 2,     /* without it the page is no-execute (when the CPU has NX) */
    VM_UNCACHED = 1 << 3, /* device memory: no caching, no write combining */
};
#define VM_FLAGS_ALL (VM_WRITE | VM_USER | VM_EXEC | VM_UNCACHED)

#define USER_SPACE_END 0x0000800000000000ull /* first address above the user half */

struct vm_space;

/* The kernel's own tables (the only ones that may map the kernel half). */
struct vm_space *vm_kernel_space(void);
/* A new address space with an empty user half; NULL when out of memory. */
struct vm_space *vm_space_create(void);
/* Frees the user half's page-table pages (not the frames they map) and the space itself. */
void vm_space_destroy(struct vm_space *s);
/* Loads s into CR3. */
void vm_space_activate(struct vm_space *s);

/* Maps the 4 KiB page at va to pa. -EINVAL for unaligned, non-canonical or out-of-half addresses
 * and unknown flags, -EEXIST when va is already mapped, -ENOMEM when a page table cannot be had. */
int vm_map_page(struct vm_space *s, vaddr_t va, paddr_t pa, unsigned flags);
/* Removes the 4 KiB mapping at va and stores the page it mapped in *old_pa (if not NULL).
 * -ENOENT when nothing is mapped, -EINVAL for a large (2 MiB) mapping. */
int vm_unmap_page(struct vm_space *s, vaddr_t va, paddr_t *old_pa);
/* Replaces the flags of the 4 KiB mapping at va; same errors as vm_unmap_page. */
int vm_protect_page(struct vm_space *s, vaddr_t va, unsigned flags);
/* Physical address and flags for va (any page size); -ENOENT when unmapped. Either pointer may be NULL. */
int vm_translate(struct vm_space *s, vaddr_t va, paddr_t *pa, unsigned *flags);
/* Calls fn(ctx, va, pa, flags) for every present 4 KiB mapping in [start, end) of the user half, in
 * address order, skipping unmapped page-table subtrees (so huge sparse ranges cost little); stops at
 * and returns fn's first non-zero value. fn may unmap or protect the page it is handed. Takes no lock:
 * the caller serializes changes to the user half (struct mm's lock does). */
typedef int (*vm_page_fn)(void *ctx, vaddr_t va, paddr_t pa, unsigned flags);
int vm_for_each_user_page(struct vm_space *s, vaddr_t start, vaddr_t end, vm_page_fn fn, void *ctx);
/* Whether s is the address space loaded on this CPU. */
bool vm_space_is_active(const struct vm_space *s);

/* Shared between the user-memory files (uvm.c, mmap.c, fault.c, exec_image.c): page reference counts,
 * VMA allocation and splitting, shared anonymous memory, and the locked page-level operations. */
#pragma once
#include <kestrel/page.h>
#include <kestrel/uvm.h>

/* MAP_SHARED anonymous memory: pages by index, allocated at first touch, shared by every VMA (in any
 * mm) that references the object; the object holds one reference on each page. */
struct anon_shared {
    int refcount; /* VMAs referencing it */
    size_t npages;
    struct page **pages;
};

struct anon_shared *anon_shared_create(size_t npages);
void anon_shared_get(struct anon_shared *s);
void anon_shared_put(struct anon_shared *s);
/* Makes room for npages (mremap growing a shared mapping). */
int anon_shared_resize(struct anon_shared *s, size_t npages);

/* User pages carry a count of the page-table entries (in all mms) that map them. */
struct page *upage_alloc_zeroed(void);
void upage_get(struct page *p);
void upage_put(struct page *p);

/* Whether v's pages are shared with other mappings (anonymous shared memory or the page cache)
 * rather than private to this mm: such pages are never copied on write or on fork. */
static inline bool vma_is_shared(const struct vma *v)
{
    return v->shared || (v->flags & VMA_FILE_SHARED);
}

/* Page-table flags for a page of v; writable only when the caller says the page may be written. */
unsigned vma_pte_flags(const struct vma *v, bool writable);
struct vma *vma_new(vaddr_t start, vaddr_t end, unsigned prot, unsigned flags);
/* Drops v's references (shared object, file) and frees it; v must be out of any set. */
void vma_free(struct vma *v);
/* Splits v at addr (strictly inside): v keeps the lower part, the upper part is returned (inserted). */
struct vma *vma_split(struct mm *mm, struct vma *v, vaddr_t addr);

/* With mm->lock held: */
/* Removes every page mapping in [start, end) of v (private pages lose a reference). */
void uvm_zap_range(struct mm *mm, struct vma *v, vaddr_t start, vaddr_t end);
/* Unmaps [start, end) wholly: splits the VMAs at the edges and frees those inside. */
int uvm_unmap_locked(struct mm *mm, vaddr_t start, vaddr_t end);
/* Makes the page at va (in v) present and, when write, privately writable (breaking copy-on-write);
 * ignores v's protection (exec writes into read-only segments through it). Its physical address. */
int uvm_fault_page(struct mm *mm, struct vma *v, vaddr_t va, bool write, paddr_t *pa);
/* Whether [start, end) is wholly covered by VMAs (no holes). */
bool uvm_range_mapped(struct mm *mm, vaddr_t start, vaddr_t end);
/* Merges neighbouring VMAs in and around [start, end) that are identical private anonymous memory
 * (VMAs passed in may be freed). */
void uvm_merge_range(struct mm *mm, vaddr_t start, vaddr_t end);

/* User address spaces: struct mm (page tables plus a set of VMAs), exec's image and stack builders,
 * fork's copy-on-write duplicate, page-fault resolution, and the calls behind brk/mmap/munmap/mprotect/
 * mremap/madvise. docs/user-memory.md explains the layout and the decisions. */
#pragma once
#include <kestrel/mutex.h>
#include <kestrel/rbtree.h>
#include <kestrel/types.h>
#include <uapi/mman.h>

struct elf_info;
struct file;
struct inode;
struct vm_space;

/* The layout, as Linux x86-64 lays out a process with address randomization off (setarch -R), so
 * the addresses a program sees (and prints) match a host run of the same binary. */
#define USER_TOP         0x00007ffffffff000ull /* first address user memory may not reach (TASK_SIZE) */
#define USER_MIN_ADDR    0x10000ull            /* vm.mmap_min_addr: NULL pages stay unmappable */
#define USER_STACK_TOP   USER_TOP
#define USER_MMAP_TOP    0x00007ffff7fff000ull  /* top-down search for mmap starts below here */
#define USER_PIE_BASE    0x0000555555554000ull  /* where ET_DYN executables load (ELF_ET_DYN_BASE) */
#define USER_STACK_LIMIT (8ull << 20)           /* RLIMIT_STACK default */
#define STACK_GUARD_GAP  (256ull << 12)         /* stack growth keeps this far from the VMA below */
#define USER_ARG_MAX     (USER_STACK_LIMIT / 4) /* argv + envp strings, as Linux bounds them */

/* VMA flags beyond its PROT_* bits. */
enum vma_flags {
    VMA_SHARED = 1 << 0,      /* MAP_SHARED anonymous: pages live in vma->shared, stay shared on fork */
    VMA_GROWSDOWN = 1 << 1,   /* a stack: faults just below it extend it */
    VMA_HEAP = 1 << 2,        /* the brk area */
    VMA_FILE = 1 << 3,        /* file mapping: a first touch reads the page from vma->file */
    VMA_NOWRITE = 1 << 4,     /* MAP_SHARED of a file not open for writing: PROT_WRITE is refused */
    VMA_FILE_SHARED = 1 << 5, /* MAP_SHARED of a file: maps the page-cache pages themselves */
};

struct anon_shared;

/* A virtual memory area: [start, end), page-aligned, one set of permissions and one backing. */
struct vma {
    struct rb_node node; /* in mm->vmas, by start */
    vaddr_t start, end;
    unsigned prot;              /* PROT_READ | PROT_WRITE | PROT_EXEC */
    unsigned flags;             /* enum vma_flags */
    struct anon_shared *shared; /* VMA_SHARED: the shared pages (counted reference) */
    struct file *file;          /* VMA_FILE: counted reference */
    uint64_t pgoff;             /* page index of start within shared or file */
};

/* A set of non-overlapping VMAs ordered by address (kernel/mm/vma.c: pure code, host-tested). */
struct vma_set {
    struct rb_root tree;
    size_t count;
};

struct mm {
    struct vm_space *space;
    struct vma_set vmas;
    vaddr_t brk_start, brk; /* the heap is [brk_start, ALIGN_UP(brk)) */
    vaddr_t stack_top;
    vaddr_t start_code, end_code, start_data, end_data;
    vaddr_t arg_start, arg_end, env_start, env_end;
    uint64_t stack_limit; /* RLIMIT_STACK at fault time; the fault path refreshes it */
    size_t rss;           /* private and shared pages mapped */
    int refcount;         /* threads sharing it (CLONE_VM, vfork) plus the owner */
    struct mutex lock;    /* protects everything above and the user half of space */
};

/* A new, empty address space (refcount 1); NULL when out of memory. */
struct mm *mm_create(void);
struct mm *mm_get(struct mm *mm);
/* Drops a reference; the last one frees every page, table and VMA. Switches the CPU to the kernel's
 * tables first if mm is the active space. */
void mm_put(struct mm *mm);
/* Loads mm's tables on this CPU (NULL: the kernel's own), and remembers mm as the active one. */
void mm_activate(struct mm *mm);
/* The mm last activated on this CPU (NULL: the kernel's tables); user-address faults resolve in it. */
struct mm *mm_active(void);
/* A copy-on-write copy for fork: private pages are shared read-only and copied on the first write;
 * MAP_SHARED memory stays shared. NULL when out of memory (nothing leaks). */
struct mm *mm_fork(struct mm *parent);

/* mmap without a file. flags: MAP_PRIVATE or MAP_SHARED, plus MAP_FIXED, MAP_FIXED_NOREPLACE,
 * MAP_GROWSDOWN, MAP_POPULATE (others ignored). Without MAP_FIXED addr is a hint. The start goes to
 * *out. -EINVAL, -ENOMEM, -EEXIST (MAP_FIXED_NOREPLACE over a mapping). Pages are demand-zero. */
int mm_map_region(struct mm *mm, vaddr_t addr, size_t len, int prot, int flags, vaddr_t *out);
/* mmap of a regular file, MAP_PRIVATE: pages are read from the file at first touch (no sharing
 * with the file afterwards; a page cache is issue 5). off must be page-aligned. */
int mm_map_file(struct mm *mm, vaddr_t addr, size_t len, int prot, int flags, struct file *f, uint64_t off,
                vaddr_t *out);
int mm_unmap(struct mm *mm, vaddr_t addr, size_t len);
int mm_protect(struct mm *mm, vaddr_t addr, size_t len, int prot);
/* mremap(2): grow or shrink in place, or move (MREMAP_MAYMOVE, MREMAP_FIXED to new_addr). */
int mm_remap(struct mm *mm, vaddr_t old_addr, size_t old_len, size_t new_len, int flags, vaddr_t new_addr,
             vaddr_t *out);
/* madvise(2): MADV_DONTNEED drops private pages (the next touch sees zeroes, or the file again). */
int mm_advise(struct mm *mm, vaddr_t addr, size_t len, int advice);
/* The file shrank to size: every mapping of it, in every address space, loses its pages past the
 * page holding the new end (private copies too), so touching them is SIGBUS, as on Linux. Called
 * after the truncation, without the VFS lock (each mm's lock is taken, and faults take an mm's lock
 * before the VFS's); the caller holds a reference to the inode. */
void uvm_file_truncated(struct inode *inode, uint64_t size);
/* Whether any VMA maps the file now (uvm_file_truncated has nothing to do otherwise). */
bool uvm_inode_mapped(const struct inode *inode);
/* Whether [addr, addr + len) lies wholly inside VMAs (msync, mincore). */
bool mm_range_mapped(struct mm *mm, vaddr_t addr, size_t len);
/* msync: writes back the dirty page-cache pages of the shared file mappings in [addr, addr + len)
 * (addr page-aligned); -ENOMEM when part of the range is unmapped, after syncing the rest. */
int mm_sync(struct mm *mm, vaddr_t addr, size_t len);
/* mincore: out[i] = 1 when the page at addr + i pages is present in memory, else 0. */
void mm_residency(struct mm *mm, vaddr_t addr, size_t pages, unsigned char *out);
/* brk(2): moves the break when it can; returns the break in effect afterwards. */
vaddr_t mm_brk(struct mm *mm, vaddr_t new_brk);

/* Copies into mm (active or not) as the kernel, ignoring PROT_WRITE but requiring a VMA; exec uses it
 * to fill a new image. 0 or -EFAULT (no VMA), -ENOMEM. */
int mm_copy_to(struct mm *mm, vaddr_t dst, const void *src, size_t n);
/* And out of mm (for tests and diagnostics); unmapped pages read as zeroes. */
int mm_copy_from(struct mm *mm, void *dst, vaddr_t src, size_t n);

/* Maps an executable's PT_LOAD segments (info from elf_parse of the same image) into an empty mm,
 * static or static-PIE (loaded at USER_PIE_BASE), and sets up the brk after the highest segment.
 * Returns the entry point and the bias added to every address in the file. -ENOEXEC, -ENOMEM. */
int mm_load_elf(struct mm *mm, const void *image, size_t size, const struct elf_info *info, vaddr_t *entry,
                vaddr_t *load_bias);

/* What the initial stack's auxiliary vector says beyond the ELF headers. */
struct exec_params {
    const struct elf_info *info;
    vaddr_t load_bias;
    const char *execfn; /* AT_EXECFN: the path as passed to execve */
    uint32_t uid, euid, gid, egid;
    bool secure; /* AT_SECURE: set-id exec */
};

/* Builds the System V initial stack at the top of mm: argc, argv, envp, auxv and the strings, laid
 * out as Linux lays them out. argv and envp are NULL-terminated kernel copies. Returns the initial
 * rsp (16-byte aligned, pointing at argc). -E2BIG when the strings exceed USER_ARG_MAX. */
int mm_setup_stack(struct mm *mm, char *const argv[], char *const envp[], const struct exec_params *p,
                   vaddr_t *sp);

/* Page faults. access: the x86 error code bits (1 present, 2 write, 4 user, 16 fetch). Resolves
 * demand-zero, file, copy-on-write and stack-growth faults; 0 when the access may be retried,
 * -EFAULT (no VMA: SIGSEGV/SEGV_MAPERR), -EACCES (protection: SEGV_ACCERR), -EIO (past the end of
 * the file: SIGBUS), -ENOMEM. Sleeps: call with interrupts on and no spinlock held. */
int mm_handle_fault(struct mm *mm, vaddr_t addr, unsigned access);
#define FAULT_PRESENT 1u
#define FAULT_WRITE   2u
#define FAULT_USER    4u
#define FAULT_FETCH   16u

/* Installs the page-fault handler (user faults and kernel faults on user addresses). */
void uvm_init(void);

/* VMA sets (kernel/mm/vma.c). */
void vma_set_init(struct vma_set *s);
/* The VMA containing addr, or NULL. */
struct vma *vma_find(const struct vma_set *s, vaddr_t addr);
/* The first VMA ending above addr (containing it or above it), or NULL. */
struct vma *vma_find_from(const struct vma_set *s, vaddr_t addr);
/* Links v in; panics if it overlaps another (callers make room first). */
void vma_insert(struct vma_set *s, struct vma *v);
void vma_remove(struct vma_set *s, struct vma *v);
struct vma *vma_first(const struct vma_set *s);
struct vma *vma_next(const struct vma *v);
struct vma *vma_prev(const struct vma *v);
/* The lowest/highest free gap of len bytes within [lo, hi), top-down from hi: its start, or 0. */
vaddr_t vma_find_gap_down(const struct vma_set *s, size_t len, vaddr_t lo, vaddr_t hi);
/* Checks order, non-overlap and the count; returns the count or -1 (for tests). */
long vma_set_validate(const struct vma_set *s);

/* Building a new program image for execve: the ELF's PT_LOAD segments mapped into a fresh mm, and
 * the System V initial stack (strings, argv, envp, auxiliary vector) laid out exactly as Linux does. */
#include "uvm_internal.h"
#include <arch/cpu.h>
#include <kestrel/elf.h>
#include <kestrel/kmalloc.h>
#include <kestrel/mm.h>
#include <kestrel/string.h>
#include <uapi/errno.h>

/* Auxiliary vector types (the ELF ABI's numbering). */
#define AT_NULL     0
#define AT_PHDR     3
#define AT_PHENT    4
#define AT_PHNUM    5
#define AT_PAGESZ   6
#define AT_BASE     7
#define AT_FLAGS    8
#define AT_ENTRY    9
#define AT_UID      11
#define AT_EUID     12
#define AT_GID      13
#define AT_EGID     14
#define AT_PLATFORM 15
#define AT_HWCAP    16
#define AT_CLKTCK   17
#define AT_SECURE   23
#define AT_RANDOM   25
#define AT_EXECFN   31
#define AUXV_MAX    20

#define INITIAL_STACK_EXTRA (128ul << 10) /* room below the arguments, as Linux's stack_expand */

static unsigned segment_prot(uint32_t pf)
{
    return ((pf & PF_R) ? PROT_READ : 0) | ((pf & PF_W) ? PROT_WRITE : 0) | ((pf & PF_X) ? PROT_EXEC : 0);
}

/* Records the code and data bounds (for /proc and brk) from the executable and writable segments. */
static void note_segment(struct mm *mm, const struct elf_segment *s, vaddr_t bias)
{
    vaddr_t start = s->vaddr + bias, file_end = start + s->filesz;
    if ((s->flags & PF_X) && !mm->start_code) {
        mm->start_code = start;
        mm->end_code = file_end;
    } else if (s->flags & PF_W) {
        if (!mm->start_data)
            mm->start_data = start;
        mm->end_data = file_end;
    }
    vaddr_t top = ALIGN_UP(start + s->memsz, PAGE_SIZE);
    if (top > mm->brk_start)
        mm->brk_start = mm->brk = top;
}

int mm_load_elf(struct mm *mm, const void *image, size_t size, const struct elf_info *info, vaddr_t *entry,
                vaddr_t *load_bias)
{
    /* A dynamic executable needs its interpreter loaded too; Kestrel runs static programs only. */
    if (info->has_interp || info->nsegs == 0)
        return -ENOEXEC;
    /* No address randomization yet, so a PIE goes where Linux puts one with randomization off:
     * addresses then match a `setarch -R` run on the host, and the image sits far below mmap and stack. */
    vaddr_t bias = info->pie ? USER_PIE_BASE - info->span_start : 0;
    if (info->span_start + bias < USER_MIN_ADDR || info->span_end + bias > USER_MMAP_TOP)
        return -ENOEXEC;
    /* Every mapping first, then the bytes: segments may share a page, and a later mapping replaces
     * the shared page, so copying earlier would lose the first segment's tail. */
    for (size_t i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        vaddr_t start = ALIGN_DOWN(s->vaddr + bias, PAGE_SIZE),
                end = ALIGN_UP(s->vaddr + bias + s->memsz, PAGE_SIZE);
        vaddr_t got;
        int err =
            mm_map_region(mm, start, end - start, segment_prot(s->flags), MAP_PRIVATE | MAP_FIXED, &got);
        if (err)
            return err;
    }
    for (size_t i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        if (s->offset > size || s->filesz > size - s->offset)
            return -ENOEXEC;
        int err = mm_copy_to(mm, s->vaddr + bias, (const char *)image + s->offset, s->filesz);
        if (err)
            return err;
        note_segment(mm, s, bias);
    }
    *entry = info->entry + bias;
    *load_bias = bias;
    return 0;
}

/* 64 random bits for AT_RANDOM: RDRAND when the CPU has it, else the time stamp counter, mixed. */
static uint64_t random_u64(void)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    for (int tries = 0; (c & (1u << 30)) && tries < 10; tries++) {
        uint64_t v;
        uint8_t ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
        if (ok)
            return v;
    }
    uint64_t z = rdtsc() + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t cpu_hwcap(void)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    return d;
}

/* Writes the stack downwards from p; the first error sticks. */
struct stack_writer {
    struct mm *mm;
    vaddr_t p;
    int err;
};

static vaddr_t push_bytes(struct stack_writer *w, const void *data, size_t n)
{
    w->p -= n;
    if (!w->err)
        w->err = mm_copy_to(w->mm, w->p, data, n);
    return w->p;
}

static vaddr_t push_string(struct stack_writer *w, const char *s)
{
    return push_bytes(w, s, strlen(s) + 1);
}

/* Pointer words go up from sp through a buffer, so a long argv costs a few copies, not one each. */
struct word_writer {
    struct mm *mm;
    vaddr_t at;
    size_t n;
    uint64_t buf[256];
    int err;
};

static void flush_words(struct word_writer *w)
{
    if (!w->err && w->n)
        w->err = mm_copy_to(w->mm, w->at, w->buf, w->n * sizeof(uint64_t));
    w->at += w->n * sizeof(uint64_t);
    w->n = 0;
}

static void put_word(struct word_writer *w, uint64_t v)
{
    w->buf[w->n++] = v;
    if (w->n == ARRAY_SIZE(w->buf))
        flush_words(w);
}

static size_t count_strings(char *const v[], size_t *bytes)
{
    size_t n = 0;
    for (; v && v[n]; n++)
        *bytes += strlen(v[n]) + 1;
    return n;
}

struct stack_layout {
    size_t argc, envc;
    vaddr_t *argv_at, *envp_at; /* user addresses of the strings */
    vaddr_t execfn_at, platform_at, random_at;
};

/* The strings at the top, highest first: the file name, then envp and argv from last to first, so
 * argv[0] ends up lowest and every string follows the one before it, as Linux copies them. */
static void push_strings(struct stack_writer *w, char *const argv[], char *const envp[], const char *execfn,
                         struct stack_layout *l)
{
    uint64_t zero = 0;
    push_bytes(w, &zero, sizeof(zero)); /* Linux leaves the top word empty */
    l->execfn_at = push_string(w, execfn);
    w->mm->env_end = w->p;
    for (size_t i = l->envc; i-- > 0;)
        l->envp_at[i] = push_string(w, envp[i]);
    w->mm->env_start = w->mm->arg_end = w->p;
    for (size_t i = l->argc; i-- > 0;)
        l->argv_at[i] = push_string(w, argv[i]);
    w->mm->arg_start = w->p;
    w->p = ALIGN_DOWN(w->p, 16);
    l->platform_at = push_string(w, "x86_64");
    uint64_t rnd[2] = {random_u64(), random_u64()};
    l->random_at = push_bytes(w, rnd, sizeof(rnd));
    w->p = ALIGN_DOWN(w->p, 16);
}

static size_t build_auxv(uint64_t *aux, const struct exec_params *p, const struct stack_layout *l)
{
    const struct elf_info *info = p->info;
    uint64_t v[][2] = {
        {AT_HWCAP, cpu_hwcap()},
        {AT_PAGESZ, PAGE_SIZE},
        {AT_CLKTCK, 100},
        {AT_PHDR, info->phdr_vaddr ? info->phdr_vaddr + p->load_bias : 0},
        {AT_PHENT, info->phentsize},
        {AT_PHNUM, info->phnum},
        {AT_BASE, 0}, /* no interpreter */
        {AT_FLAGS, 0},
        {AT_ENTRY, info->entry + p->load_bias},
        {AT_UID, p->uid},
        {AT_EUID, p->euid},
        {AT_GID, p->gid},
        {AT_EGID, p->egid},
        {AT_SECURE, p->secure},
        {AT_RANDOM, l->random_at},
        {AT_EXECFN, l->execfn_at},
        {AT_PLATFORM, l->platform_at},
        {AT_NULL, 0},
    };
    _Static_assert(ARRAY_SIZE(v) <= AUXV_MAX, "auxv fits");
    memcpy(aux, v, sizeof(v));
    return ARRAY_SIZE(v) * 2;
}

/* argc, argv[], NULL, envp[], NULL, auxv pairs: upwards from a 16-byte aligned sp. */
static int push_tables(struct stack_writer *sw, const struct exec_params *p, const struct stack_layout *l,
                       vaddr_t *sp)
{
    uint64_t aux[AUXV_MAX * 2];
    size_t naux = build_auxv(aux, p, l);
    size_t words = 1 + l->argc + 1 + l->envc + 1 + naux;
    *sp = ALIGN_DOWN(sw->p - words * sizeof(uint64_t), 16);
    struct word_writer *w = kmalloc(sizeof(*w));
    if (!w)
        return -ENOMEM;
    /* Field by field: a compound literal would clear the 2 KiB buffer first, and that clearing was
     * the hottest spot of execve in the profile (docs/performance.md). */
    w->mm = sw->mm;
    w->at = *sp;
    w->n = 0;
    w->err = 0;
    put_word(w, l->argc);
    for (size_t i = 0; i < l->argc; i++)
        put_word(w, l->argv_at[i]);
    put_word(w, 0);
    for (size_t i = 0; i < l->envc; i++)
        put_word(w, l->envp_at[i]);
    put_word(w, 0);
    for (size_t i = 0; i < naux; i++)
        put_word(w, aux[i]);
    flush_words(w);
    int err = w->err;
    kfree(w);
    return err;
}

int mm_setup_stack(struct mm *mm, char *const argv[], char *const envp[], const struct exec_params *p,
                   vaddr_t *sp)
{
    const char *execfn = p->execfn ? p->execfn : "";
    size_t bytes = strlen(execfn) + 1;
    struct stack_layout l = {0};
    l.argc = count_strings(argv, &bytes);
    l.envc = count_strings(envp, &bytes);
    size_t pointers = (l.argc + l.envc + 3 + AUXV_MAX * 2) * sizeof(uint64_t);
    if (bytes > USER_ARG_MAX || pointers > USER_ARG_MAX)
        return -E2BIG;
    size_t need = ALIGN_UP(bytes + pointers + 128, PAGE_SIZE) + INITIAL_STACK_EXTRA;
    unsigned prot = PROT_READ | PROT_WRITE | (p->info && p->info->exec_stack ? PROT_EXEC : 0);
    vaddr_t base;
    int err =
        mm_map_region(mm, mm->stack_top - need, need, prot, MAP_PRIVATE | MAP_FIXED | MAP_GROWSDOWN, &base);
    if (err)
        return err;
    l.argv_at = kmalloc(MAX(l.argc + l.envc, 1) * sizeof(vaddr_t));
    if (!l.argv_at)
        return -ENOMEM;
    l.envp_at = l.argv_at + l.argc;
    struct stack_writer w = {mm, mm->stack_top, 0};
    push_strings(&w, argv, envp, execfn, &l);
    err = w.err ? w.err : push_tables(&w, p, &l, sp);
    kfree(l.argv_at);
    return err;
}

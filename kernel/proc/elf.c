/* ELF64 header and program-header validation for exec: decides whether a file is an x86-64
 * executable (static, static-PIE, or dynamic with PT_INTERP) and lists what must be mapped. */
#include <kestrel/elf.h>
#include <kestrel/string.h>
#include <uapi/errno.h>
#include <uapi/limits.h>

#define ELF_PAGE_SIZE 4096ull

int elf_check_header(const struct elf64_ehdr *eh, uint64_t file_size)
{
    if (file_size < sizeof(*eh))
        return -ENOEXEC;
    if (memcmp(eh->e_ident, "\177ELF", 4) != 0)
        return -ENOEXEC;
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return -ENOEXEC;
    if (eh->e_machine != EM_X86_64 || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
        return -ENOEXEC;
    if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0)
        return -ENOEXEC;
    uint64_t table = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);
    if (table > ELF_MAX_PHDR_BYTES || eh->e_phoff > file_size || table > file_size - eh->e_phoff)
        return -ENOEXEC;
    return 0;
}

/* A PT_LOAD segment's own consistency; its place among the others is checked by the caller. */
static int check_load(const struct elf64_phdr *ph, uint64_t file_size)
{
    if (ph->p_filesz > ph->p_memsz)
        return -EINVAL;
    if (ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
        return -ENOEXEC;
    if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)))
        return -ENOEXEC;
    /* The loader maps file pages: the address and the offset must agree within a page. */
    if ((ph->p_vaddr - ph->p_offset) & (ELF_PAGE_SIZE - 1))
        return -ENOEXEC;
    if (ph->p_vaddr >= ELF_USER_END || ph->p_memsz > ELF_USER_END - ph->p_vaddr)
        return -ENOEXEC;
    return 0;
}

static int add_load(struct elf_info *info, const struct elf64_phdr *ph)
{
    if (ph->p_memsz == 0)
        return 0; /* nothing to map */
    if (info->nsegs == ELF_MAX_LOADS)
        return -ENOEXEC;
    /* The ELF specification keeps PT_LOAD entries sorted by address; they must not overlap. */
    if (info->nsegs) {
        const struct elf_segment *prev = &info->segs[info->nsegs - 1];
        if (ph->p_vaddr < prev->vaddr + prev->memsz)
            return -ENOEXEC;
    }
    info->segs[info->nsegs++] = (struct elf_segment){
        .vaddr = ph->p_vaddr,
        .memsz = ph->p_memsz,
        .offset = ph->p_offset,
        .filesz = ph->p_filesz,
        .flags = ph->p_flags & (PF_R | PF_W | PF_X),
    };
    return 0;
}

/* Without PT_PHDR, the headers are visible to the program only if a segment maps their bytes. */
static uint64_t find_phdr_vaddr(const struct elf64_ehdr *eh, const struct elf_info *info)
{
    uint64_t table = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);
    for (size_t i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        if (eh->e_phoff >= s->offset && eh->e_phoff - s->offset <= s->filesz &&
            table <= s->filesz - (eh->e_phoff - s->offset))
            return s->vaddr + (eh->e_phoff - s->offset);
    }
    return 0;
}

static bool entry_is_executable(const struct elf_info *info)
{
    for (size_t i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        if ((s->flags & PF_X) && info->entry >= s->vaddr && info->entry - s->vaddr < s->memsz)
            return true;
    }
    return false;
}

int elf_parse_phdrs(const struct elf64_ehdr *eh, const void *phdrs, uint64_t file_size, struct elf_info *info)
{
    memset(info, 0, sizeof(*info));
    info->pie = eh->e_type == ET_DYN;
    info->entry = eh->e_entry;
    info->phnum = eh->e_phnum;
    info->phentsize = eh->e_phentsize;
    bool have_phdr = false;
    int err;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr ph;
        /* Copied out: the table need not be aligned in the caller's buffer. */
        memcpy(&ph, (const char *)phdrs + i * sizeof(ph), sizeof(ph));
        switch (ph.p_type) {
        case PT_LOAD:
            err = check_load(&ph, file_size);
            if (!err)
                err = add_load(info, &ph);
            if (err)
                return err;
            break;
        case PT_INTERP:
            if (info->has_interp || ph.p_filesz < 2 || ph.p_filesz > PATH_MAX || ph.p_offset > file_size ||
                ph.p_filesz > file_size - ph.p_offset)
                return -ENOEXEC;
            info->has_interp = true;
            info->interp_offset = ph.p_offset;
            info->interp_size = ph.p_filesz;
            break;
        case PT_GNU_STACK:
            info->exec_stack = ph.p_flags & PF_X;
            break;
        case PT_PHDR:
            have_phdr = true;
            info->phdr_vaddr = ph.p_vaddr;
            break;
        default:
            break;
        }
    }
    if (info->nsegs == 0)
        return -ENOEXEC;
    if (!entry_is_executable(info))
        return -ENOEXEC;
    if (!have_phdr)
        info->phdr_vaddr = find_phdr_vaddr(eh, info);
    const struct elf_segment *last = &info->segs[info->nsegs - 1];
    info->span_start = ALIGN_DOWN(info->segs[0].vaddr, ELF_PAGE_SIZE);
    info->span_end = ALIGN_UP(last->vaddr + last->memsz, ELF_PAGE_SIZE);
    return 0;
}

int elf_parse(const void *image, size_t size, struct elf_info *info)
{
    struct elf64_ehdr eh;
    if (size < sizeof(eh))
        return -ENOEXEC;
    memcpy(&eh, image, sizeof(eh));
    int err = elf_check_header(&eh, size);
    if (!err)
        err = elf_parse_phdrs(&eh, (const char *)image + eh.e_phoff, size, info);
    if (!err && info->has_interp && ((const char *)image)[info->interp_offset + info->interp_size - 1] != 0)
        return -ENOEXEC;
    return err;
}

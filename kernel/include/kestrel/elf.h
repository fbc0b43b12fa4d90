/* ELF64 executables for x86-64: the file structures, and the checks exec runs before it maps
 * anything. Parsing only; the loader (issue 4) maps what elf_parse describes. */
#pragma once
#include <kestrel/types.h>

#define EI_NIDENT   16
#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EV_CURRENT  1
#define ET_EXEC     2
#define ET_DYN      3
#define EM_X86_64   62

#define PT_NULL      0
#define PT_LOAD      1
#define PT_DYNAMIC   2
#define PT_INTERP    3
#define PT_NOTE      4
#define PT_PHDR      6
#define PT_TLS       7
#define PT_GNU_STACK 0x6474e551

#define PF_X 1
#define PF_W 2
#define PF_R 4

struct elf64_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

/* Limits that keep exec's work bounded (Linux refuses program header tables over 64 KiB). */
#define ELF_MAX_PHDR_BYTES 65536
#define ELF_MAX_LOADS      16
/* User addresses end below the canonical hole. */
#define ELF_USER_END       0x0000800000000000ull

/* One PT_LOAD segment: file bytes [offset, offset + filesz) go to [vaddr, vaddr + filesz), the
 * rest up to memsz is zero-filled. Addresses are before any load bias. */
struct elf_segment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;
    uint32_t flags; /* PF_R, PF_W, PF_X */
};

struct elf_info {
    bool pie; /* ET_DYN: needs a load bias added to every address below */
    uint64_t entry;
    uint64_t phdr_vaddr; /* where the program headers sit once loaded (AT_PHDR); 0 if nowhere */
    uint16_t phnum;      /* AT_PHNUM */
    uint16_t phentsize;  /* AT_PHENT */
    bool has_interp;     /* PT_INTERP: a dynamic executable (the path is at interp_offset) */
    uint64_t interp_offset;
    uint64_t interp_size; /* including the NUL */
    bool exec_stack;      /* PT_GNU_STACK asks for PF_X (absent means not, on x86-64) */
    uint64_t span_start;  /* page-aligned bounds of all PT_LOAD segments */
    uint64_t span_end;
    size_t nsegs;
    struct elf_segment segs[ELF_MAX_LOADS];
};

/* Checks the ELF header of a file of file_size bytes: -ENOEXEC when it is not an x86-64 ELF64
 * executable Kestrel can run (wrong magic, class, byte order, machine, type, or a program
 * header table outside the file). */
int elf_check_header(const struct elf64_ehdr *eh, uint64_t file_size);
/* Checks the program headers (the e_phnum * e_phentsize bytes at e_phoff) and fills info. */
int elf_parse_phdrs(const struct elf64_ehdr *eh, const void *phdrs, uint64_t file_size,
                    struct elf_info *info);
/* Both, for a file wholly in memory. Also checks the PT_INTERP string is NUL-terminated. */
int elf_parse(const void *image, size_t size, struct elf_info *info);

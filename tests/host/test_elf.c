/* Host tests for ELF64 validation: real executables compiled here with musl-gcc (static, static-PIE,
 * dynamic PIE) and Debian's static busybox when installed, then synthetic images with one field
 * broken at a time. Images sit in buffers of exactly their size so AddressSanitizer catches any
 * read past the end. */
#include "htest.h"
#include <kestrel/elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uapi/errno.h>

static char *read_host_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (n < 0 || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Compiles a small C program (t.c) with musl-gcc and the given arguments; returns the binary's bytes, or
 * NULL when musl-gcc is missing (the caller then skips). */
static char *build_musl(const char *args, size_t *size)
{
    if (system("command -v musl-gcc >/dev/null 2>&1") != 0)
        return NULL;
    char dir[] = "/tmp/kestrel-elf-XXXXXX";
    if (!mkdtemp(dir))
        return NULL;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "cd %s && printf '#include <stdio.h>\\nint main(void){puts(\"hi\");return 0;}\\n' > t.c && "
             "musl-gcc %s -o t 2>/dev/null",
             dir, args);
    char *buf = NULL;
    if (system(cmd) == 0) {
        snprintf(cmd, sizeof(cmd), "%s/t", dir);
        buf = read_host_file(cmd, size);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Debian's musl-gcc spec file links -static-pie as a dynamic PIE; this is the working recipe:
 * musl's self-relocating rcrt1.o, and -static -pie --no-dynamic-linker passed to the linker. */
#define MUSL_LIB "/usr/lib/x86_64-linux-musl"
#define STATIC_PIE_FLAGS                                                                                     \
    "-static-pie -nostartfiles " MUSL_LIB "/rcrt1.o " MUSL_LIB                                               \
    "/crti.o $(gcc -print-file-name=crtbeginS.o) "                                                           \
    "t.c $(gcc -print-file-name=crtendS.o) " MUSL_LIB "/crtn.o -Wl,-static -Wl,--no-dynamic-linker"

/* Each segment is executable-or-not, sorted, inside the file; the entry is inside an X segment. */
static void check_common(struct htest *t, const struct elf_info *info, size_t size)
{
    HEXPECT(t, info->nsegs >= 2);
    for (size_t i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        HEXPECT(t, s->filesz <= s->memsz);
        HEXPECT(t, s->offset + s->filesz <= size);
        if (i)
            HEXPECT(t, s->vaddr >= info->segs[i - 1].vaddr + info->segs[i - 1].memsz);
    }
    HEXPECT_EQ(t, info->phentsize, 56);
    HEXPECT(t, info->span_start % 4096 == 0 && info->span_end % 4096 == 0);
    HEXPECT(t, info->entry >= info->span_start && info->entry < info->span_end);
    HEXPECT(t, !info->exec_stack);
}

HTEST(elf_musl_static)
{
    size_t size;
    char *img = build_musl("-static t.c", &size);
    if (!img) {
        printf("# SKIP musl-gcc not available\n");
        return;
    }
    struct elf_info info;
    HEXPECT_EQ(t, elf_parse(img, size, &info), 0);
    check_common(t, &info, size);
    HEXPECT(t, !info.pie);
    HEXPECT(t, !info.has_interp);
    HEXPECT(t, info.span_start >= 0x400000);
    /* No PT_PHDR in a static musl binary: AT_PHDR is found through the first segment. */
    HEXPECT_EQ(t, info.phdr_vaddr, info.segs[0].vaddr + 64);
    free(img);
}

HTEST(elf_musl_static_pie)
{
    size_t size;
    char *img = build_musl(STATIC_PIE_FLAGS, &size);
    if (!img) {
        printf("# SKIP musl-gcc not available\n");
        return;
    }
    struct elf_info info;
    HEXPECT_EQ(t, elf_parse(img, size, &info), 0);
    check_common(t, &info, size);
    HEXPECT(t, info.pie);
    HEXPECT(t, !info.has_interp);
    HEXPECT_EQ(t, info.span_start, 0);
    HEXPECT_EQ(t, info.phdr_vaddr, 64);
    free(img);
}

HTEST(elf_musl_dynamic_has_interp)
{
    size_t size;
    char *img = build_musl("t.c", &size);
    if (!img) {
        printf("# SKIP musl-gcc not available\n");
        return;
    }
    struct elf_info info;
    HEXPECT_EQ(t, elf_parse(img, size, &info), 0);
    check_common(t, &info, size);
    HEXPECT(t, info.has_interp);
    HASSERT(t, info.interp_offset + info.interp_size <= size);
    HEXPECT(t, strcmp(img + info.interp_offset, "/lib/ld-musl-x86_64.so.1") == 0);
    free(img);
}

HTEST(elf_busybox_static)
{
    size_t size;
    char *img = read_host_file("/bin/busybox", &size);
    if (!img) {
        printf("# SKIP /bin/busybox not installed\n");
        return;
    }
    struct elf_info info;
    HEXPECT_EQ(t, elf_parse(img, size, &info), 0);
    check_common(t, &info, size);
    HEXPECT(t, !info.has_interp);
    /* Debian's busybox-static is non-PIE at 0x400000 or a static PIE, depending on the release. */
    HEXPECT(t, info.pie ? info.span_start == 0 : info.span_start >= 0x400000);
    /* Any prefix of it is parsed safely: refused or accepted, never read past. */
    for (size_t len = 0; len < 4096 && len < size; len += len < 200 ? 1 : 61) {
        char *prefix = malloc(len ? len : 1);
        memcpy(prefix, img, len);
        int err = elf_parse(prefix, len, &info);
        HEXPECT(t, err == -ENOEXEC || err == -EINVAL);
        free(prefix);
    }
    free(img);
}

/* ---- Synthetic images ---- */

#define IMG_SIZE 0x3000

struct image {
    struct elf64_ehdr eh;
    struct elf64_phdr ph[20];
};

/* A minimal valid static executable: text at 0x401000 (RX), data at 0x402000 (RW, with bss), a
 * non-executable stack. The headers are at the start of the file, which the first segment maps. */
static void make_image(struct image *im)
{
    memset(im, 0, sizeof(*im));
    memcpy(im->eh.e_ident, "\177ELF", 4);
    im->eh.e_ident[EI_CLASS] = ELFCLASS64;
    im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im->eh.e_ident[EI_VERSION] = EV_CURRENT;
    im->eh.e_type = ET_EXEC;
    im->eh.e_machine = EM_X86_64;
    im->eh.e_version = EV_CURRENT;
    im->eh.e_entry = 0x401010;
    im->eh.e_phoff = sizeof(struct elf64_ehdr);
    im->eh.e_ehsize = sizeof(struct elf64_ehdr);
    im->eh.e_phentsize = sizeof(struct elf64_phdr);
    im->eh.e_phnum = 3;
    im->ph[0] = (struct elf64_phdr){.p_type = PT_LOAD,
                                    .p_flags = PF_R | PF_X,
                                    .p_offset = 0,
                                    .p_vaddr = 0x401000,
                                    .p_filesz = 0x1000,
                                    .p_memsz = 0x1000,
                                    .p_align = 0x1000};
    im->ph[1] = (struct elf64_phdr){.p_type = PT_LOAD,
                                    .p_flags = PF_R | PF_W,
                                    .p_offset = 0x1000,
                                    .p_vaddr = 0x402000,
                                    .p_filesz = 0x800,
                                    .p_memsz = 0x5000,
                                    .p_align = 0x1000};
    im->ph[2] = (struct elf64_phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};
}

/* Parses the image as a file of IMG_SIZE bytes held in a buffer of exactly that size. */
static int parse_image(const struct image *im, struct elf_info *info)
{
    char *file = calloc(1, IMG_SIZE);
    memcpy(file, im, sizeof(*im));
    int err = elf_parse(file, IMG_SIZE, info);
    free(file);
    return err;
}

static int parse_mutated(void (*mutate)(struct image *im))
{
    struct image im;
    make_image(&im);
    mutate(&im);
    struct elf_info info;
    return parse_image(&im, &info);
}

HTEST(elf_synthetic_valid_image)
{
    struct image im;
    make_image(&im);
    struct elf_info info;
    HASSERT(t, parse_image(&im, &info) == 0);
    HEXPECT(t, !info.pie);
    HEXPECT_EQ(t, info.entry, 0x401010);
    HEXPECT_EQ(t, info.nsegs, 2);
    HEXPECT_EQ(t, info.segs[0].flags, PF_R | PF_X);
    HEXPECT_EQ(t, info.segs[1].flags, PF_R | PF_W);
    HEXPECT_EQ(t, info.segs[1].filesz, 0x800);
    HEXPECT_EQ(t, info.segs[1].memsz, 0x5000);
    HEXPECT_EQ(t, info.phdr_vaddr, 0x401040);
    HEXPECT_EQ(t, info.phnum, 3);
    HEXPECT_EQ(t, info.span_start, 0x401000);
    HEXPECT_EQ(t, info.span_end, 0x407000);
    HEXPECT(t, !info.exec_stack);
    HEXPECT(t, !info.has_interp);
    /* The two-step interface gives the same answer from the headers alone. */
    HEXPECT_EQ(t, elf_check_header(&im.eh, IMG_SIZE), 0);
    struct elf_info again;
    HEXPECT_EQ(t, elf_parse_phdrs(&im.eh, im.ph, IMG_SIZE, &again), 0);
    HEXPECT(t, memcmp(&info, &again, sizeof(info)) == 0);
}

static void m_magic(struct image *im)
{
    im->eh.e_ident[1] = 'F';
}
static void m_class32(struct image *im)
{
    im->eh.e_ident[EI_CLASS] = 1;
}
static void m_big_endian(struct image *im)
{
    im->eh.e_ident[EI_DATA] = 2;
}
static void m_ident_version(struct image *im)
{
    im->eh.e_ident[EI_VERSION] = 0;
}
static void m_version(struct image *im)
{
    im->eh.e_version = 2;
}
static void m_machine_i386(struct image *im)
{
    im->eh.e_machine = 3;
}
static void m_machine_aarch64(struct image *im)
{
    im->eh.e_machine = 183;
}
static void m_type_rel(struct image *im)
{
    im->eh.e_type = 1;
}
static void m_type_core(struct image *im)
{
    im->eh.e_type = 4;
}
static void m_phentsize(struct image *im)
{
    im->eh.e_phentsize = 32;
}
static void m_phnum_zero(struct image *im)
{
    im->eh.e_phnum = 0;
}
static void m_phoff_past_end(struct image *im)
{
    im->eh.e_phoff = IMG_SIZE - 100; /* the table would run past the end */
}
static void m_phoff_overflow(struct image *im)
{
    im->eh.e_phoff = UINT64_MAX - 10;
}
static void m_phnum_huge(struct image *im)
{
    im->eh.e_phnum = 65535; /* over 64 KiB of headers */
}
static void m_seg_offset_past_end(struct image *im)
{
    im->ph[1].p_offset = IMG_SIZE;
    im->ph[1].p_vaddr = 0x403000;
}
static void m_seg_filesz_past_end(struct image *im)
{
    im->ph[1].p_filesz = IMG_SIZE;
    im->ph[1].p_memsz = IMG_SIZE;
}
static void m_seg_offset_overflow(struct image *im)
{
    im->ph[1].p_offset = UINT64_MAX & ~0xfffull;
    im->ph[1].p_vaddr = 0x403000 + (im->ph[1].p_offset & 0xfff);
}
static void m_filesz_over_memsz(struct image *im)
{
    im->ph[1].p_memsz = 0x400;
}
static void m_overlap(struct image *im)
{
    im->ph[1].p_vaddr = 0x401000 + 0x1000 - 0x1000; /* same page as the text */
    im->ph[1].p_offset = 0x1000;
}
static void m_overlap_partial(struct image *im)
{
    im->ph[0].p_memsz = 0x1800; /* text's zero-fill runs into the data segment */
}
static void m_unsorted(struct image *im)
{
    struct elf64_phdr tmp = im->ph[0];
    im->ph[0] = im->ph[1];
    im->ph[1] = tmp;
}
static void m_incongruent(struct image *im)
{
    im->ph[1].p_vaddr = 0x402100; /* offset 0x1000 would land mid-page */
}
static void m_bad_align(struct image *im)
{
    im->ph[1].p_align = 0x1800;
}
static void m_kernel_address(struct image *im)
{
    im->ph[1].p_vaddr = 0xffff800000002000ull;
}
static void m_end_past_user(struct image *im)
{
    im->ph[1].p_vaddr = ELF_USER_END - 0x2000;
    im->ph[1].p_memsz = 0x3000;
}
static void m_entry_outside(struct image *im)
{
    im->eh.e_entry = 0x500000;
}
static void m_entry_in_data(struct image *im)
{
    im->eh.e_entry = 0x402010; /* mapped, but not executable */
}
static void m_no_load(struct image *im)
{
    im->ph[0].p_type = PT_NOTE;
    im->ph[1].p_type = PT_NOTE;
}
static void m_two_interps(struct image *im)
{
    im->eh.e_phnum = 5;
    im->ph[3] = (struct elf64_phdr){.p_type = PT_INTERP, .p_offset = 0x200, .p_filesz = 8};
    im->ph[4] = im->ph[3];
}
static void m_interp_past_end(struct image *im)
{
    im->eh.e_phnum = 4;
    im->ph[3] = (struct elf64_phdr){.p_type = PT_INTERP, .p_offset = IMG_SIZE - 4, .p_filesz = 8};
}
static void m_interp_unterminated(struct image *im)
{
    im->eh.e_phnum = 4;
    /* The image is zero-filled, except the headers: point at the program header bytes. */
    im->ph[3] = (struct elf64_phdr){.p_type = PT_INTERP, .p_offset = 0, .p_filesz = 4};
}
static void m_too_many_loads(struct image *im)
{
    im->eh.e_phnum = ELF_MAX_LOADS + 1;
    for (int i = 0; i < ELF_MAX_LOADS + 1; i++)
        im->ph[i] = (struct elf64_phdr){.p_type = PT_LOAD,
                                        .p_flags = PF_R | PF_X,
                                        .p_offset = 0,
                                        .p_vaddr = 0x401000 + 0x1000 * (uint64_t)i,
                                        .p_filesz = 0x100,
                                        .p_memsz = 0x100};
}

HTEST(elf_rejects_bad_headers)
{
    HEXPECT_EQ(t, parse_mutated(m_magic), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_class32), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_big_endian), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_ident_version), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_version), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_machine_i386), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_machine_aarch64), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_type_rel), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_type_core), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_phentsize), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_phnum_zero), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_phoff_past_end), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_phoff_overflow), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_phnum_huge), -ENOEXEC);
}

HTEST(elf_rejects_bad_segments)
{
    HEXPECT_EQ(t, parse_mutated(m_seg_offset_past_end), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_seg_filesz_past_end), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_seg_offset_overflow), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_filesz_over_memsz), -EINVAL);
    HEXPECT_EQ(t, parse_mutated(m_overlap), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_overlap_partial), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_unsorted), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_incongruent), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_bad_align), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_kernel_address), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_end_past_user), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_entry_outside), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_entry_in_data), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_no_load), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_two_interps), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_interp_past_end), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_interp_unterminated), -ENOEXEC);
    HEXPECT_EQ(t, parse_mutated(m_too_many_loads), -ENOEXEC);
}

HTEST(elf_truncated_files)
{
    struct image im;
    make_image(&im);
    struct elf_info info;
    /* Shorter than the header, than the program headers, than the segments (which end at 0x1800). */
    for (size_t len = 0; len < 0x1800; len += len < 300 ? 1 : 257) {
        char *file = calloc(1, len ? len : 1);
        memcpy(file, &im, MIN(len, sizeof(im)));
        HEXPECT_EQ(t, elf_parse(file, len, &info), -ENOEXEC);
        free(file);
    }
    HEXPECT_EQ(t, elf_check_header(&im.eh, 63), -ENOEXEC);
}

HTEST(elf_pie_stack_and_phdr_variants)
{
    struct image im;
    struct elf_info info;
    /* A PIE at 0 with PT_PHDR, an executable stack, and a zero-sized PT_LOAD (ignored). */
    make_image(&im);
    im.eh.e_type = ET_DYN;
    im.eh.e_entry = 0x10;
    im.eh.e_phnum = 6;
    im.ph[0].p_vaddr = 0;
    im.ph[1].p_vaddr = 0x1000;
    im.ph[2].p_flags = PF_R | PF_W | PF_X;
    im.ph[3] = (struct elf64_phdr){.p_type = PT_PHDR, .p_offset = 64, .p_vaddr = 64, .p_filesz = 6 * 56};
    im.ph[4] = (struct elf64_phdr){.p_type = PT_LOAD, .p_vaddr = 0x9000};
    im.ph[5] = (struct elf64_phdr){.p_type = PT_TLS, .p_offset = 0x1000, .p_vaddr = 0x1000, .p_memsz = 8};
    HASSERT(t, parse_image(&im, &info) == 0);
    HEXPECT(t, info.pie);
    HEXPECT(t, info.exec_stack);
    HEXPECT_EQ(t, info.phdr_vaddr, 64);
    HEXPECT_EQ(t, info.nsegs, 2);
    HEXPECT_EQ(t, info.span_start, 0);
    HEXPECT_EQ(t, info.span_end, 0x6000);
    /* Program headers that no segment maps: AT_PHDR has nothing to point at. */
    make_image(&im);
    im.ph[0].p_offset = 0x1000;
    im.ph[0].p_filesz = 0x800;
    im.ph[1].p_offset = 0x2000;
    HASSERT(t, parse_image(&im, &info) == 0);
    HEXPECT_EQ(t, info.phdr_vaddr, 0);
    /* Unaligned program headers in the caller's buffer are fine. */
    make_image(&im);
    char *file = calloc(1, IMG_SIZE);
    im.eh.e_phoff = 0x101;
    memcpy(file, &im.eh, sizeof(im.eh));
    memcpy(file + 0x101, im.ph, 3 * sizeof(im.ph[0]));
    HEXPECT_EQ(t, elf_parse(file, IMG_SIZE, &info), 0);
    HEXPECT_EQ(t, info.phdr_vaddr, 0x401101);
    free(file);
}

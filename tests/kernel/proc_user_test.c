/* KTAP tests of the process core through real user mode: small programs (proc_user_progs.S) wrapped in
 * an ELF file on a private tmpfs are started as processes whose parent is a stand-in the test holds,
 * and their wait statuses are checked: the SYSCALL path and its register contract, execve, exit, a
 * user exception becoming a signal, fork and wait4. Also the pid allocator's rules. */
#include "../../kernel/proc/internal.h"
#include <kestrel/elf.h>
#include <kestrel/kmalloc.h>
#include <kestrel/ktest.h>
#include <kestrel/string.h>
#include <kestrel/tmpfs.h>
#include <kestrel/vfs.h>

extern const char proc_prog_exit42[], proc_prog_exit42_end[];
extern const char proc_prog_ud2[], proc_prog_ud2_end[];
extern const char proc_prog_fork[], proc_prog_fork_end[];
extern const char proc_prog_regs[], proc_prog_regs_end[];

#define PROG_VADDR 0x400000ull

/* A minimal static executable: the ELF header, one program header, then the code, all in one
 * read-execute PT_LOAD segment at PROG_VADDR. */
static size_t build_elf(const char *code, size_t len, uint8_t *out)
{
    struct elf64_ehdr *eh = (struct elf64_ehdr *)out;
    struct elf64_phdr *ph = (struct elf64_phdr *)(out + sizeof(*eh));
    size_t off = sizeof(*eh) + sizeof(*ph);
    memset(out, 0, off);
    memcpy(eh->e_ident, "\177ELF", 4);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = PROG_VADDR + off;
    eh->e_phoff = sizeof(*eh);
    eh->e_ehsize = sizeof(*eh);
    eh->e_phentsize = sizeof(*ph);
    eh->e_phnum = 1;
    ph->p_type = PT_LOAD;
    ph->p_flags = PF_R | PF_X;
    ph->p_offset = 0;
    ph->p_vaddr = ph->p_paddr = PROG_VADDR;
    ph->p_filesz = ph->p_memsz = off + len;
    ph->p_align = 4096;
    memcpy(out + off, code, len);
    return off + len;
}

struct run_ctx {
    struct super_block *sb;
    struct process *parent; /* registered, never runs: it only collects the child */
};

static int run_exec(void *arg)
{
    char *argv[] = {"prog", NULL}, *envp[] = {NULL};
    (void)arg;
    return process_execve("prog", argv, envp);
}

/* Runs the program as a child of a stand-in parent and returns its wait status (or -1). */
static int run_program(struct ktest *t, const char *code, const char *end)
{
    struct run_ctx c;
    uint8_t *image = kmalloc(4096);
    KTEST_EXPECT(t, image != NULL);
    if (!image || tmpfs_mount(&c.sb))
        return -1;
    size_t size = build_elf(code, (size_t)(end - code), image);
    struct file *f;
    int err = vfs_open(c.sb->root, "prog", O_CREAT | O_WRONLY, 0755, &f);
    KTEST_EXPECT_EQ(t, err, 0);
    if (!err) {
        KTEST_EXPECT_EQ(t, vfs_write(f, image, size), (ssize_t)size);
        vfs_close(f);
    }
    kfree(image);

    c.parent = process_alloc();
    struct process *child = process_alloc();
    int status = -1;
    if (!err && c.parent && child && process_register(c.parent, NULL) == 0 &&
        process_register(child, c.parent) == 0) {
        child->fs.cwd = inode_get(c.sb->root);
        strlcpy(child->comm, "ktest-prog", sizeof(child->comm));
        if (user_thread_start_setup(child, run_exec, NULL) == 0) {
            wait_event(&c.parent->child_wait, child->state == PROCESS_ZOMBIE);
            status = child->exit_status;
        }
        uint64_t flags = spin_lock_irqsave(&process_tree_lock);
        process_free_locked(child);
        process_free_locked(c.parent);
        spin_unlock_irqrestore(&process_tree_lock, flags);
    }
    tmpfs_unmount(c.sb);
    return status;
}

static void proc_exit_status_reaches_parent(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, run_program(t, proc_prog_exit42, proc_prog_exit42_end), 42 << 8);
}

static void proc_invalid_opcode_kills_with_sigill(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, run_program(t, proc_prog_ud2, proc_prog_ud2_end), 4 | 0x80);
}

static void proc_fork_and_wait4(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, run_program(t, proc_prog_fork, proc_prog_fork_end), 15 << 8);
}

static void proc_syscall_register_contract(struct ktest *t)
{
    KTEST_EXPECT_EQ(t, run_program(t, proc_prog_regs, proc_prog_regs_end), 0);
}

static void proc_pids_are_not_reused_at_once(struct ktest *t)
{
    struct process *a = process_alloc(), *b = process_alloc();
    KTEST_ASSERT(t, a && b);
    KTEST_ASSERT_EQ(t, process_register(a, NULL), 0);
    int first = a->pid;
    uint64_t flags = spin_lock_irqsave(&process_tree_lock);
    KTEST_EXPECT(t, process_find(first) == a);
    process_free_locked(a);
    KTEST_EXPECT(t, process_find(first) == NULL);
    spin_unlock_irqrestore(&process_tree_lock, flags);
    KTEST_ASSERT_EQ(t, process_register(b, NULL), 0);
    KTEST_EXPECT(t, b->pid != first); /* the cursor moves on: a stale pid names nobody for a while */
    KTEST_EXPECT_EQ(t, b->pgid, b->pid);
    KTEST_EXPECT_EQ(t, b->sid, b->pid);
    flags = spin_lock_irqsave(&process_tree_lock);
    process_free_locked(b);
    spin_unlock_irqrestore(&process_tree_lock, flags);
}

KTEST_SUITE(proc_user, KTEST_CASE(proc_exit_status_reaches_parent),
            KTEST_CASE(proc_invalid_opcode_kills_with_sigill), KTEST_CASE(proc_fork_and_wait4),
            KTEST_CASE(proc_syscall_register_contract), KTEST_CASE(proc_pids_are_not_reused_at_once));

/* Robust futexes: at a thread's exit (or execve) the kernel walks the list of robust mutexes the
 * thread registered with set_robust_list and marks each one it still owns FUTEX_OWNER_DIED, waking
 * a waiter, so the next locker gets EOWNERDEAD instead of waiting forever. The list format and the
 * rules are Linux's (kernel/futex/core.c's exit_robust_list is the reference for the behaviour). */
#include <kestrel/futex.h>
#include <kestrel/uaccess.h>
#include <uapi/errno.h>

#define ROBUST_LIST_LIMIT 2048 /* Linux's bound: a corrupt or circular list cannot hold the exit up */
#define FUTEX_WAITERS     0x80000000u
#define FUTEX_OWNER_DIED  0x40000000u
#define FUTEX_TID_MASK    0x3fffffffu

/* struct robust_list_head in user memory. */
struct robust_head {
    uint64_t next;            /* the first entry; the head's own address when empty */
    int64_t futex_offset;     /* from an entry to its lock word */
    uint64_t list_op_pending; /* an entry being added or removed right now, or 0 */
};

/* Reads an entry's next pointer; bit 0 marks a PI futex. */
static int fetch_entry(uint64_t uaddr, uint64_t *entry, bool *pi)
{
    uint64_t v;
    if (copy_from_user(&v, (const void *)uaddr, sizeof(v)) < 0)
        return -EFAULT;
    *entry = v & ~1ull;
    *pi = v & 1;
    return 0;
}

/* One lock word of the dying thread tid. pending: the entry was being locked or unlocked when the
 * thread died, so an unowned word may still have a waiter that expects a wake. 0 or -EFAULT. */
static int handle_death(struct mm *mm, uint64_t uaddr, int tid, bool pi, bool pending)
{
    if (uaddr % sizeof(uint32_t))
        return -EFAULT;
    for (;;) {
        uint32_t val;
        if (copy_from_user(&val, (const void *)uaddr, sizeof(val)) < 0)
            return -EFAULT;
        if (pending && !pi && !val) {
            futex_wake(mm, uaddr, true, 1, FUTEX_BITSET_ANY);
            return 0;
        }
        if ((val & FUTEX_TID_MASK) != (uint32_t)tid)
            return 0;
        uint32_t died = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED, found;
        if (user_cmpxchg_u32((uint32_t *)uaddr, val, died, &found) < 0)
            return -EFAULT;
        if (found != val)
            continue; /* changed under us (a waiter set FUTEX_WAITERS): look again */
        /* PI futexes are not supported (ENOSYS), so no PI waiter can exist to hand the lock to. */
        if (!pi && (val & FUTEX_WAITERS))
            futex_wake(mm, uaddr, true, 1, FUTEX_BITSET_ANY);
        return 0;
    }
}

void futex_exit_robust_list(struct mm *mm, uint64_t head_addr, int tid)
{
    struct robust_head head;
    if (copy_from_user(&head, (const void *)head_addr, sizeof(head)) < 0)
        return;
    uint64_t entry = head.next & ~1ull, pending = head.list_op_pending & ~1ull;
    bool pi = head.next & 1, pending_pi = head.list_op_pending & 1;
    for (int limit = ROBUST_LIST_LIMIT; entry != head_addr && limit > 0; limit--) {
        uint64_t next = 0;
        bool next_pi = false;
        /* Fetched first: marking the word lets a waiter run and free the entry. */
        int err = fetch_entry(entry, &next, &next_pi);
        if (entry != pending && handle_death(mm, entry + (uint64_t)head.futex_offset, tid, pi, false) < 0)
            return;
        if (err < 0)
            return;
        entry = next;
        pi = next_pi;
    }
    if (pending)
        handle_death(mm, pending + (uint64_t)head.futex_offset, tid, pending_pi, true);
}

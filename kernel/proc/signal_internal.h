/* Shared between the signal files (kernel/proc/signal*.c, arch signal_frame.c and sys_signal.c). */
#pragma once
#include <kestrel/signal.h>
#include <kestrel/spinlock.h>

struct process;
struct thread;

/* Protects all signal state: see the comment at the top of signal.c. */
extern struct spinlock signal_lock;

/* Sends with process_tree_lock already held (kill walks the process list under it). */
int signal_send_tree_locked(struct process *p, struct thread *t, int sig, const struct sig_record *info);
/* A stop (CLD_STOPPED) or continue (CLD_CONTINUED) of p: records it for the parent's wait4, wakes
 * the parent and sends it SIGCHLD unless it set SA_NOCLDSTOP. process_tree_lock held. */
void signal_notify_parent_tree_locked(struct process *p, int code, int sig);
/* The default action of a fatal signal for the current process. */
__noreturn void signal_die(int sig);
void signal_fill_siginfo(ksiginfo_t *info, int sig, const struct sig_record *rec);

/* Fork stress: N short-lived processes in chains of nested forks (parent -> child -> grandchild),
 * a token passed down each chain through pipes and back up through exit statuses, plus orphans whose
 * parent exits first. Every process must be accounted for and no zombie left (wait ends in ECHILD).
 * With -m, the stress runs in a child and no page and no process may be left over (memcheck.h).
 * Usage: forkstress [-n PROCESSES] [-m] (default 1000). */
#include "check.h"
#include "memcheck.h"

#define DEPTH 3 /* processes per chain */

/* One level of a chain: reads the token from `in`, adds one, hands it to the next level through a
 * new pipe, and exits with the value the bottom level reports. */
static int chain_level(int in, int level)
{
    unsigned char token = 0;
    if (read(in, &token, 1) != 1)
        return 200;
    close(in);
    token++;
    if (level == DEPTH - 1)
        return token;
    int p[2];
    if (pipe(p) != 0)
        return 201;
    pid_t pid = fork();
    if (pid < 0)
        return 202;
    if (pid == 0) {
        close(p[1]);
        _exit(chain_level(p[0], level + 1));
    }
    close(p[0]);
    write(p[1], &token, 1);
    close(p[1]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return 203;
    return WEXITSTATUS(status);
}

/* Starts one chain with token t; returns the first level's pid, or -1. */
static pid_t start_chain(unsigned char t)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        _exit(chain_level(p[0], 0));
    }
    close(p[0]);
    write(p[1], &t, 1);
    close(p[1]);
    return pid;
}

/* A child that forks a grandchild and exits at once: the grandchild is orphaned and must be
 * reparented and reaped by init, not by us. */
static pid_t start_orphaner(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() == 0)
            _exit(0);
        _exit(0);
    }
    return pid;
}

static int stress(void *arg)
{
    int total = *(int *)arg;
    enum { WAVE = 8 }; /* chains alive at once */
    int chains = total / (DEPTH + 2), wrong = 0, failed_forks = 0, reaped = 0;
    for (int base = 0; base < chains; base += WAVE) {
        pid_t pids[WAVE];
        int n = chains - base < WAVE ? chains - base : WAVE;
        for (int i = 0; i < n; i++)
            pids[i] = start_chain((unsigned char)(base + i) % 100);
        pid_t orphaner = start_orphaner();
        for (int i = 0; i < n; i++) {
            int status;
            if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i]) {
                failed_forks++;
                continue;
            }
            reaped++;
            wrong += !WIFEXITED(status) || WEXITSTATUS(status) != (base + i) % 100 + DEPTH;
        }
        if (orphaner < 0 || waitpid(orphaner, NULL, 0) != orphaner)
            failed_forks++;
    }
    T_EQ("forkstress/chains-reaped", reaped, chains);
    T_EQ("forkstress/tokens-wrong", wrong, 0);
    T_EQ("forkstress/failed-forks", failed_forks, 0);
    T_ERR("forkstress/no-zombie-left", wait(NULL), ECHILD);
    printf("forkstress: %d processes\n", chains * (DEPTH + 2));
    return check_done("forkstress");
}

int main(int argc, char **argv)
{
    check_init();
    int total = 1000, exact = 0, opt;
    while ((opt = getopt(argc, argv, "n:m")) != -1) {
        if (opt == 'n')
            total = atoi(optarg);
        else if (opt == 'm')
            exact = 1;
    }
    if (!exact)
        return stress(&total);
    struct mem_count before, after;
    int status = run_measured(stress, &total, &before, &after);
    report_measured("forkstress", status, before, after);
    return check_done("forkstress-memory");
}

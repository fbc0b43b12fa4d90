/* hello: the tiny static program the fork_execve_wait figure executes. It prints nothing, so the
 * figure measures fork, execve, program start-up, exit and wait rather than console output. */
int main(void)
{
    return 0;
}

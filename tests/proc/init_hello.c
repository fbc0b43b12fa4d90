/* The process core's first boot fixture: run as /init from its own initramfs, it proves a static musl
 * program starts (initial stack, TLS through arch_prctl, SYSCALL/SYSRET), writes to the console
 * through fd 1 and exits with a status the kernel logs. */
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static const char msg[] = "hello from user space\n";
    if (write(1, msg, strlen(msg)) != (ssize_t)strlen(msg))
        return 2;
    /* argv[0] is the path the kernel ran, and getpid() says we are init. */
    if (argc < 1 || strcmp(argv[0], "/init") != 0 || getpid() != 1)
        return 3;
    return 7;
}

/* Kernel logging: printk with syslog levels and boot-relative timestamps, kept in a ring for dmesg. */
#pragma once
#include <kestrel/types.h>

enum log_level {
    LOG_EMERG,
    LOG_ALERT,
    LOG_CRIT,
    LOG_ERR,
    LOG_WARNING,
    LOG_NOTICE,
    LOG_INFO,
    LOG_DEBUG,
};

/* Messages whose level is below this reach the consoles (Linux's console_loglevel); all are logged. */
extern int console_loglevel;

void printk(int level, const char *fmt, ...) __printf(2, 3);
void vprintk(int level, const char *fmt, va_list ap);
/* Writes raw text to the consoles without a timestamp or a log record (panic reports, KTAP). */
void console_print(const char *fmt, ...) __printf(1, 2);

/* The log ring holds records as syslog(2) gives them: "<level>[seconds.micros] text\n". */
/* Copies up to n bytes of the log ring starting at offset; returns bytes copied (for dmesg). */
size_t klog_read(size_t offset, char *dst, size_t n);
size_t klog_size(void);
/* The ring's size: the most the log keeps (syslog's SIZE_BUFFER). */
size_t klog_capacity(void);
/* syslog's CLEAR: the log written so far stops counting for klog_size_since_clear (the newest
 * bytes of the ring that syslog's READ_ALL may return); /dev/kmsg readers still see it all. */
void klog_clear(void);
size_t klog_size_since_clear(void);
/* Whether the calling process may read the log (syslog(2), /dev/kmsg): root only, as Linux with
 * dmesg_restrict=1 (Debian's setting). */
bool klog_may_read(void);
/* /dev/kmsg readers: the position (bytes ever written) and sequence number of the oldest whole
 * record; then one record per call into dst (its length, 0 when none is new, -EPIPE when the ring
 * overwrote the record at *pos: the reader moves to the oldest, -EINVAL when n is too small). */
void klog_reader_start(uint64_t *pos, uint64_t *seq);
ssize_t klog_read_record(uint64_t *pos, uint64_t *seq, char *dst, size_t n);
/* Sleeps until something is logged past pos: 0, or -ERESTARTSYS when a signal came first. */
int klog_wait_after(uint64_t pos);
/* Removes the "<level>" prefixes from a stretch of the ring in place, returning the new length;
 * state (0 before the first call) carries a prefix split between two stretches. */
size_t klog_strip_levels(char *buf, size_t n, int *state);

#define pr_emerg(...)  printk(LOG_EMERG, __VA_ARGS__)
#define pr_err(...)    printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)   printk(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) printk(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)   printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  printk(LOG_DEBUG, __VA_ARGS__)

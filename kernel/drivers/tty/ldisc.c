/* The line discipline (POSIX "general terminal interface" semantics as Linux's n_tty has them):
 * input mapping, signal characters, canonical editing with echo, and output processing. */
#include "ldisc.h"
#include <kestrel/string.h>

#define FLAG_EOL 0x1 /* the last byte of a line: a canonical read stops after it */
#define FLAG_EOF 0x2 /* an end-of-file marker (VEOF on an empty line); carries no byte */

#define TAB_WIDTH 8
#define CTRL(c)   ((c)&0x1f)
#define OUT_CHUNK 64

enum erase_kind { ERASE_CHAR, ERASE_WORD, ERASE_LINE };

/* Output is gathered here and handed to the device in chunks, not byte by byte. */
struct outbuf {
    struct ldisc *ld;
    size_t n;
    char buf[OUT_CHUNK];
};

static void out_flush(struct outbuf *o)
{
    if (o->n)
        o->ld->ops->output(o->ld->ctx, o->buf, o->n);
    o->n = 0;
}

static void out_raw(struct outbuf *o, char c)
{
    if (o->n == sizeof(o->buf))
        out_flush(o);
    o->buf[o->n++] = c;
}

static bool is_cntrl(uint8_t c)
{
    return c < 0x20 || c == 0x7f;
}

static bool is_utf8_cont(const struct ldisc *ld, uint8_t c)
{
    return (ld->termios.c_iflag & IUTF8) && (c & 0xc0) == 0x80;
}

static unsigned next_tab(unsigned col)
{
    return (col / TAB_WIDTH + 1) * TAB_WIDTH;
}

/* One byte through output processing (OPOST), keeping track of the column it leaves the cursor at. */
static void out_char(struct outbuf *o, uint8_t c)
{
    struct ldisc *ld = o->ld;
    tcflag_t of = ld->termios.c_oflag;
    if (!(of & OPOST)) {
        out_raw(o, (char)c);
        return;
    }
    switch (c) {
    case '\n':
        if (of & (ONLCR | ONLRET))
            ld->column = 0;
        if (of & ONLCR)
            out_raw(o, '\r');
        out_raw(o, '\n');
        return;
    case '\r':
        if ((of & ONOCR) && ld->column == 0)
            return;
        if (of & OCRNL) {
            if (of & ONLRET)
                ld->column = 0;
            out_raw(o, '\n');
            return;
        }
        ld->column = 0;
        out_raw(o, '\r');
        return;
    case '\t': {
        unsigned to = next_tab(ld->column);
        if ((of & TABDLY) == XTABS) {
            while (ld->column < to) {
                out_raw(o, ' ');
                ld->column++;
            }
            return;
        }
        ld->column = to;
        out_raw(o, '\t');
        return;
    }
    case '\b':
        if (ld->column > 0)
            ld->column--;
        out_raw(o, '\b');
        return;
    }
    if (!is_cntrl(c) && (c & 0xc0) != 0x80)
        ld->column++;
    out_raw(o, (char)c);
}

static void out_str(struct outbuf *o, const char *s)
{
    while (*s)
        out_char(o, (uint8_t)*s++);
}

/* Echo shows control characters as ^X with ECHOCTL (tab and newline excepted): 0x7f is ^?. */
static void echo_char(struct outbuf *o, uint8_t c)
{
    if ((o->ld->termios.c_lflag & ECHOCTL) && is_cntrl(c) && c != '\t' && c != '\n') {
        out_char(o, '^');
        out_char(o, c ^ 0x40);
        return;
    }
    out_char(o, c);
}

static bool is_cc(const struct ldisc *ld, int slot, uint8_t c)
{
    cc_t v = ld->termios.c_cc[slot];
    return v != _POSIX_VDISABLE && v == c;
}

void ldisc_default_termios(struct termios *t)
{
    static const cc_t cc[NCCS] = {
        [VINTR] = CTRL('C'),
        [VQUIT] = CTRL('\\'),
        [VERASE] = 0x7f,
        [VKILL] = CTRL('U'),
        [VEOF] = CTRL('D'),
        [VTIME] = 0,
        [VMIN] = 1,
        [VSTART] = CTRL('Q'),
        [VSTOP] = CTRL('S'),
        [VSUSP] = CTRL('Z'),
        [VREPRINT] = CTRL('R'),
        [VDISCARD] = CTRL('O'),
        [VWERASE] = CTRL('W'),
        [VLNEXT] = CTRL('V'),
    };
    *t = (struct termios){
        .c_iflag = ICRNL | IXON | IUTF8,
        .c_oflag = OPOST | ONLCR,
        .c_cflag = B38400 | CS8 | CREAD | HUPCL,
        .c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    };
    memcpy(t->c_cc, cc, sizeof(cc));
}

void ldisc_init(struct ldisc *ld, const struct ldisc_ops *ops, void *ctx)
{
    memset(ld, 0, sizeof(*ld));
    ldisc_default_termios(&ld->termios);
    ld->ops = ops;
    ld->ctx = ctx;
}

static size_t ring_free(const struct ldisc *ld)
{
    return LDISC_BUF - ld->count;
}

static void ring_push(struct ldisc *ld, uint8_t c, uint8_t flags)
{
    size_t i = (ld->head + ld->count) % LDISC_BUF;
    ld->data[i] = c;
    ld->flags[i] = flags;
    ld->count++;
    if (flags & FLAG_EOF)
        ld->eofs++;
}

/* The newest committed entry becomes the end of a line (or nothing, when the ring is empty). */
static void ring_mark_eol(struct ldisc *ld)
{
    if (ld->count)
        ld->flags[(ld->head + ld->count - 1) % LDISC_BUF] |= FLAG_EOL;
}

void ldisc_flush_input(struct ldisc *ld)
{
    ld->head = ld->count = ld->eofs = 0;
    ld->line_len = 0;
    ld->lnext = false;
}

/* Moves the edit line into the ring as one line. An empty line is committed only by VEOF, as an
 * end-of-file marker. Returns false when the ring has no room (the line stays being edited). */
static bool commit_line(struct ldisc *ld, bool eof)
{
    if (ld->line_len == 0 && eof) {
        if (ring_free(ld) < 1)
            return false;
        ring_push(ld, 0, FLAG_EOF | FLAG_EOL);
        return true;
    }
    if (ring_free(ld) < ld->line_len)
        return false;
    for (size_t i = 0; i < ld->line_len; i++)
        ring_push(ld, (uint8_t)ld->line[i], 0);
    ring_mark_eol(ld);
    ld->line_len = 0;
    return true;
}

/* How many columns the echo of line[0..len) takes, starting at line_column. */
static unsigned echo_end_column(const struct ldisc *ld, size_t len)
{
    unsigned col = ld->line_column;
    bool ctl = ld->termios.c_lflag & ECHOCTL;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)ld->line[i];
        if (c == '\t')
            col = next_tab(col);
        else if (is_cntrl(c))
            col += ctl ? 2 : 0;
        else if ((c & 0xc0) != 0x80)
            col++;
    }
    return col;
}

/* Removes the last character (all bytes of a UTF-8 sequence under IUTF8) and returns its first byte. */
static uint8_t pop_char(struct ldisc *ld)
{
    while (ld->line_len > 1 && is_utf8_cont(ld, (uint8_t)ld->line[ld->line_len - 1]))
        ld->line_len--;
    return (uint8_t)ld->line[--ld->line_len];
}

/* Takes back the echo of the character c that was just removed from the end of the line. */
static void unecho(struct outbuf *o, uint8_t c)
{
    struct ldisc *ld = o->ld;
    if (c == '\t') {
        unsigned to = echo_end_column(ld, ld->line_len);
        while (ld->column > to)
            out_char(o, '\b');
        return;
    }
    int width = !is_cntrl(c) ? 1 : (ld->termios.c_lflag & ECHOCTL) ? 2 : 0;
    for (int i = 0; i < width; i++)
        out_str(o, "\b \b");
}

static bool is_word_char(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c >= 0x80;
}

static void erase(struct outbuf *o, enum erase_kind kind, uint8_t typed)
{
    struct ldisc *ld = o->ld;
    tcflag_t lf = ld->termios.c_lflag;
    if (ld->line_len == 0)
        return;
    bool visual = (lf & ECHO) && (lf & ECHOE);
    if (kind == ERASE_LINE && !(visual && (lf & ECHOKE))) {
        /* Without ECHOKE the killed line stays visible: show the kill character, then a new line. */
        ld->line_len = 0;
        if (lf & ECHO) {
            echo_char(o, typed);
            if (lf & ECHOK)
                out_char(o, '\n');
        }
        return;
    }
    unsigned alnums = 0;
    while (ld->line_len > 0) {
        uint8_t last = (uint8_t)ld->line[ld->line_len - 1];
        if (kind == ERASE_WORD) {
            /* A word: the run of word characters before the cursor, with the blanks after it. */
            if (is_word_char(last))
                alnums++;
            else if (alnums)
                break;
        }
        uint8_t c = pop_char(ld);
        if (visual)
            unecho(o, c);
        else if (lf & ECHO)
            echo_char(o, typed);
        if (kind == ERASE_CHAR)
            break;
    }
}

/* ^R: the line again on a fresh output line. */
static void reprint(struct outbuf *o, uint8_t typed)
{
    struct ldisc *ld = o->ld;
    if (!(ld->termios.c_lflag & ECHO))
        return;
    echo_char(o, typed);
    out_char(o, '\n');
    ld->line_column = ld->column;
    for (size_t i = 0; i < ld->line_len; i++)
        echo_char(o, (uint8_t)ld->line[i]);
}

static void add_to_line(struct outbuf *o, uint8_t c)
{
    struct ldisc *ld = o->ld;
    /* Keep one byte for the delimiter, and never let the line outgrow the ring it must fit in. */
    if (ld->line_len + 1 >= LDISC_LINE_MAX || ld->line_len + 1 >= ring_free(ld))
        return;
    if (ld->line_len == 0)
        ld->line_column = ld->column;
    ld->line[ld->line_len++] = (char)c;
    if (ld->termios.c_lflag & ECHO)
        echo_char(o, c);
}

/* A line delimiter: NL, VEOL or VEOL2 (kept in the line) or VEOF (not kept). */
static void end_line(struct outbuf *o, uint8_t c, bool eof)
{
    struct ldisc *ld = o->ld;
    tcflag_t lf = ld->termios.c_lflag;
    if (!eof) {
        if (ld->line_len + 1 > ring_free(ld))
            return;
        ld->line[ld->line_len++] = (char)c;
        if ((lf & ECHO) || (c == '\n' && (lf & ECHONL)))
            echo_char(o, c);
    }
    commit_line(ld, eof);
}

static void canonical_char(struct outbuf *o, uint8_t c)
{
    struct ldisc *ld = o->ld;
    bool ext = ld->termios.c_lflag & IEXTEN;
    /* ^H erases too while VERASE is DEL: serial terminals send either for their Backspace key. */
    if (is_cc(ld, VERASE, c) || (c == '\b' && ld->termios.c_cc[VERASE] == 0x7f))
        erase(o, ERASE_CHAR, c);
    else if (is_cc(ld, VKILL, c))
        erase(o, ERASE_LINE, c);
    else if (ext && is_cc(ld, VWERASE, c))
        erase(o, ERASE_WORD, c);
    else if (ext && is_cc(ld, VREPRINT, c))
        reprint(o, c);
    else if (ext && is_cc(ld, VLNEXT, c)) {
        ld->lnext = true;
        if ((ld->termios.c_lflag & (ECHO | ECHOCTL)) == (ECHO | ECHOCTL))
            out_str(o, "^\b");
    } else if (c == '\n' || is_cc(ld, VEOL, c) || (ext && is_cc(ld, VEOL2, c)))
        end_line(o, c, false);
    else if (is_cc(ld, VEOF, c))
        end_line(o, c, true);
    else
        add_to_line(o, c);
}

static void raw_char(struct outbuf *o, uint8_t c)
{
    struct ldisc *ld = o->ld;
    if (ring_free(ld) == 0)
        return;
    ring_push(ld, c, 0);
    if (ld->termios.c_lflag & ECHO)
        echo_char(o, c);
}

/* Returns the signal c raises under ISIG, or 0. */
static int signal_for(const struct ldisc *ld, uint8_t c)
{
    if (!(ld->termios.c_lflag & ISIG))
        return 0;
    if (is_cc(ld, VINTR, c))
        return LDISC_SIGINT;
    if (is_cc(ld, VQUIT, c))
        return LDISC_SIGQUIT;
    if (is_cc(ld, VSUSP, c))
        return LDISC_SIGTSTP;
    return 0;
}

static void receive_char(struct outbuf *o, uint8_t c)
{
    struct ldisc *ld = o->ld;
    const struct termios *t = &ld->termios;
    if (t->c_iflag & ISTRIP)
        c &= 0x7f;
    if (ld->lnext) {
        ld->lnext = false;
        if (t->c_lflag & ICANON)
            add_to_line(o, c);
        else
            raw_char(o, c);
        return;
    }
    if (c == '\r') {
        if (t->c_iflag & IGNCR)
            return;
        if (t->c_iflag & ICRNL)
            c = '\n';
    } else if (c == '\n' && (t->c_iflag & INLCR)) {
        c = '\r';
    }
    int sig = signal_for(ld, c);
    if (sig) {
        if (!(t->c_lflag & NOFLSH))
            ldisc_flush_input(ld);
        if (t->c_lflag & ECHO)
            echo_char(o, c);
        ld->ops->signal(ld->ctx, sig);
        return;
    }
    if (t->c_lflag & ICANON)
        canonical_char(o, c);
    else
        raw_char(o, c);
}

void ldisc_receive(struct ldisc *ld, const char *buf, size_t n)
{
    struct outbuf o = {.ld = ld};
    for (size_t i = 0; i < n; i++)
        receive_char(&o, (uint8_t)buf[i]);
    out_flush(&o);
}

static uint8_t ring_pop(struct ldisc *ld, uint8_t *flags)
{
    uint8_t c = ld->data[ld->head];
    *flags = ld->flags[ld->head];
    ld->head = (ld->head + 1) % LDISC_BUF;
    ld->count--;
    if (*flags & FLAG_EOF)
        ld->eofs--;
    return c;
}

size_t ldisc_read(struct ldisc *ld, char *buf, size_t n, bool *line_end)
{
    bool canon = ld->termios.c_lflag & ICANON;
    size_t got = 0;
    *line_end = false;
    while (got < n && ld->count) {
        bool eof = ld->flags[ld->head] & FLAG_EOF;
        /* An end-of-file marker ends a read only at its start: "abc" then ^D then read gives "abc"
         * once and 0 the next time. Non-canonical reads skip markers left from canonical mode. */
        if (eof && canon && got)
            break;
        uint8_t flags;
        uint8_t c = ring_pop(ld, &flags);
        if (!eof)
            buf[got++] = (char)c;
        if (canon && (flags & FLAG_EOL)) {
            *line_end = true;
            break;
        }
    }
    return got;
}

void ldisc_set_termios(struct ldisc *ld, const struct termios *t)
{
    bool was_canon = ld->termios.c_lflag & ICANON;
    ld->termios = *t;
    bool canon = t->c_lflag & ICANON;
    if (was_canon && !canon) {
        /* What was being edited becomes plain input; whatever did not fit is lost. */
        for (size_t i = 0; i < ld->line_len && ring_free(ld); i++)
            ring_push(ld, (uint8_t)ld->line[i], 0);
        ld->line_len = 0;
    } else if (!was_canon && canon) {
        /* Raw input already typed is readable at once, as one line, rather than stranded. */
        ring_mark_eol(ld);
    }
}

void ldisc_write(struct ldisc *ld, const char *s, size_t n)
{
    struct outbuf o = {.ld = ld};
    for (size_t i = 0; i < n; i++)
        out_char(&o, (uint8_t)s[i]);
    out_flush(&o);
}

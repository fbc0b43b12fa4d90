/* printf-style formatting for printk and friends. No allocation, no floating point: safe in any
 * context, including the panic path. */
#include <kestrel/format.h>

struct out {
    char *buf;
    size_t size;
    size_t len; /* bytes the full output needs, may exceed size */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_repeat(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int precision; /* -1 when absent */
    int length;    /* 'H' hh, 'h', 0, 'l', 'L' ll/z */
};

static void put_string(struct out *o, const char *s, const struct spec *sp)
{
    if (!s)
        s = "(null)";
    int n = 0;
    while (s[n] && (sp->precision < 0 || n < sp->precision))
        n++;
    if (!sp->left)
        put_repeat(o, ' ', sp->width - n);
    for (int i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        put_repeat(o, ' ', sp->width - n);
}

static void put_number(struct out *o, uint64_t v, bool negative, unsigned base, bool upper,
                       const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (sp->precision == 0 && n == 1 && tmp[0] == '0')
        n = 0;

    const char *prefix = "";
    if (negative)
        prefix = "-";
    else if (sp->plus)
        prefix = "+";
    else if (sp->space)
        prefix = " ";
    else if (sp->alt && base == 16 && n)
        prefix = upper ? "0X" : "0x";
    else if (sp->alt && base == 8 && (n == 0 || tmp[n - 1] != '0'))
        prefix = "0";
    int plen = 0;
    while (prefix[plen])
        plen++;

    int zeros = sp->precision > n ? sp->precision - n : 0;
    int total = plen + zeros + n;
    if (sp->zero && !sp->left && sp->precision < 0 && sp->width > total) {
        zeros += sp->width - total;
        total = sp->width;
    }
    if (!sp->left)
        put_repeat(o, ' ', sp->width - total);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    put_repeat(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (sp->left)
        put_repeat(o, ' ', sp->width - total);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){.precision = -1};
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else if (*f == '+')
            sp->plus = true;
        else if (*f == ' ')
            sp->space = true;
        else if (*f == '#')
            sp->alt = true;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    } else {
        while (*f >= '0' && *f <= '9')
            sp->width = sp->width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
        f++;
        sp->precision = 0;
        if (*f == '*') {
            sp->precision = va_arg(*ap, int);
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                sp->precision = sp->precision * 10 + (*f++ - '0');
        }
    }
    if (f[0] == 'h' && f[1] == 'h') {
        sp->length = 'H';
        f += 2;
    } else if (*f == 'h') {
        sp->length = 'h';
        f++;
    } else if (f[0] == 'l' && f[1] == 'l') {
        sp->length = 'L';
        f += 2;
    } else if (*f == 'l' || *f == 'z' || *f == 't' || *f == 'j') {
        sp->length = 'L';
        f++;
    }
    return f;
}

static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'H':
        return (unsigned char)va_arg(*ap, unsigned);
    case 'h':
        return (unsigned short)va_arg(*ap, unsigned);
    case 'L':
        return va_arg(*ap, unsigned long long);
    default:
        return va_arg(*ap, unsigned);
    }
}

static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'H':
        return (signed char)va_arg(*ap, int);
    case 'h':
        return (short)va_arg(*ap, int);
    case 'L':
        return va_arg(*ap, long long);
    default:
        return va_arg(*ap, int);
    }
}

static void format_one(struct out *o, char conv, struct spec *sp, va_list *ap)
{
    switch (conv) {
    case 'd':
    case 'i': {
        int64_t v = arg_signed(sp, ap);
        /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
        put_number(o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, sp);
        break;
    }
    case 'u':
        put_number(o, arg_unsigned(sp, ap), false, 10, false, sp);
        break;
    case 'x':
    case 'X':
        put_number(o, arg_unsigned(sp, ap), false, 16, conv == 'X', sp);
        break;
    case 'o':
        put_number(o, arg_unsigned(sp, ap), false, 8, false, sp);
        break;
    case 'p':
        sp->alt = true;
        put_number(o, (uintptr_t)va_arg(*ap, void *), false, 16, false, sp);
        break;
    case 's':
        put_string(o, va_arg(*ap, const char *), sp);
        break;
    case 'c': {
        char c[2] = {(char)va_arg(*ap, int), 0};
        sp->precision = 1;
        if (c[0] == 0) { /* a NUL character is still one character of output */
            put_repeat(o, ' ', sp->left ? 0 : sp->width - 1);
            put(o, 0);
            put_repeat(o, ' ', sp->left ? sp->width - 1 : 0);
        } else {
            put_string(o, c, sp);
        }
        break;
    }
    case '%':
        put(o, '%');
        break;
    default: /* unknown conversion: show it rather than guess at its argument */
        put(o, '%');
        if (conv)
            put(o, conv);
        break;
    }
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size, 0};
    va_list args;
    va_copy(args, ap);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        struct spec sp;
        f = parse_spec(f + 1, &sp, &args);
        format_one(&o, *f, &sp, &args);
        if (!*f)
            break;
    }
    va_end(args);
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

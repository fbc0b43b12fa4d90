/* FAT names: 8.3 short names (upper case, space padded, with "~N" tails when generated from a
 * long name), VFAT long names in UCS-2 and their conversion from and to the UTF-8 Kestrel uses,
 * and the long-name checksum tying long-name entries to their short entry. */
#include <kestrel/string.h>
#include <uapi/errno.h>
#include "fat.h"

uint8_t fat_lfn_checksum(const uint8_t name[FAT_NAME_LEN])
{
    uint8_t sum = 0;
    for (int i = 0; i < FAT_NAME_LEN; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
    return sum;
}

/* Characters no long name may hold: controls and " * / : < > ? \ | (Linux's vfat list; DEL is
 * allowed). */
static bool forbidden(uint32_t c)
{
    return c < 0x20 || strchr("\"*/:<>?\\|", (int)c) != NULL;
}

/* Decodes one UTF-8 character of the BMP at s (len bytes left): its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *c)
{
    if (s[0] < 0x80) {
        *c = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0 && len >= 2 && (s[1] & 0xc0) == 0x80) {
        *c = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        return *c >= 0x80 ? 2 : 0;
    }
    if ((s[0] & 0xf0) == 0xe0 && len >= 3 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *c = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        /* Surrogates are not characters of their own in UCS-2. */
        return *c >= 0x800 && (*c < 0xd800 || *c > 0xdfff) ? 3 : 0;
    }
    return 0;
}

int fat_utf8_to_ucs2(const char *name, size_t len, uint16_t *out)
{
    const unsigned char *s = (const unsigned char *)name;
    int n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t step = utf8_decode(s + i, len - i, &c);
        if (step == 0 || forbidden(c))
            return -EINVAL;
        if (n == FAT_LFN_MAX)
            return -ENAMETOOLONG;
        out[n++] = (uint16_t)c;
        i += step;
    }
    return n;
}

size_t fat_ucs2_to_utf8(const uint16_t *in, size_t n, char *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = in[i];
        if (c < 0x80) {
            out[len++] = (char)c;
        } else if (c < 0x800) {
            out[len++] = (char)(0xc0 | (c >> 6));
            out[len++] = (char)(0x80 | (c & 0x3f));
        } else {
            out[len++] = (char)(0xe0 | (c >> 12));
            out[len++] = (char)(0x80 | ((c >> 6) & 0x3f));
            out[len++] = (char)(0x80 | (c & 0x3f));
        }
    }
    return len;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Appends the space-padded field of n bytes, lower-cased if asked. Bytes above 0x7f (an OEM code
 * page Kestrel does not carry) are taken as Latin-1. */
static size_t copy_field(const uint8_t *field, size_t n, bool lowercase, char *out)
{
    while (n > 0 && field[n - 1] == ' ')
        n--;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = field[i];
        if (c < 0x80)
            out[len++] = lowercase ? lower((char)c) : (char)c;
        else
            len += fat_ucs2_to_utf8(&c, 1, out + len);
    }
    return len;
}

size_t fat_short_to_name(const struct fat_dirent *de, char *out)
{
    uint8_t base[8];
    memcpy(base, de->name, 8);
    if (base[0] == FAT_KANJI)
        base[0] = FAT_DELETED; /* 0xe5 is stored as 0x05 so it does not mark the entry free */
    size_t len = copy_field(base, 8, de->lcase & FAT_CASE_LOWER_BASE, out);
    char ext[3 * 2];
    size_t elen = copy_field(de->name + 8, 3, de->lcase & FAT_CASE_LOWER_EXT, ext);
    if (elen) {
        out[len++] = '.';
        memcpy(out + len, ext, elen);
        len += elen;
    }
    return len;
}

/* Characters a short name may hold besides A-Z and 0-9. */
static bool short_special(char c)
{
    return c != 0 && strchr("!#$%&'()-@^_`{}~", c) != NULL;
}

static bool short_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || short_special(c);
}

bool fat_name_is_short(const char *name, size_t len, uint8_t shortname[FAT_NAME_LEN])
{
    memset(shortname, ' ', FAT_NAME_LEN);
    size_t base = 0, ext = 0;
    bool in_ext = false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.' && !in_ext && base > 0) {
            in_ext = true;
            continue;
        }
        if (!short_char(c))
            return false;
        if (in_ext ? ext == 3 : base == 8)
            return false;
        shortname[in_ext ? 8 + ext++ : base++] = (uint8_t)c;
    }
    return base > 0 && (!in_ext || ext > 0);
}

/* The short-name form of one source character: upper case, or '_' for what a short name cannot
 * hold (lossy). */
static char basis_char(char c, bool *lossy)
{
    c = upper(c);
    if (short_char(c))
        return c;
    *lossy = true;
    return '_';
}

/* Skips one UTF-8 sequence (a non-ASCII character counts as one '_'). */
static size_t char_len(const char *s, size_t left)
{
    size_t n = 1;
    if ((unsigned char)s[0] >= 0x80)
        while (n < left && ((unsigned char)s[n] & 0xc0) == 0x80)
            n++;
    return n;
}

/* Appends the characters of name[from, to) to dst (room characters at most), skipping spaces and
 * dots; sets *lossy when anything but case is lost. */
static size_t basis_part(const char *name, size_t from, size_t to, uint8_t *dst, size_t room, bool *lossy)
{
    size_t n = 0;
    for (size_t i = from; i < to;) {
        size_t step = char_len(name + i, to - i);
        char c = name[i];
        i += step;
        if (c == ' ' || c == '.') {
            *lossy = true;
            continue;
        }
        if (n == room) {
            *lossy = true;
            break;
        }
        dst[n++] = (uint8_t)(step > 1 ? (*lossy = true, '_') : basis_char(c, lossy));
    }
    return n;
}

bool fat_short_basis(const char *name, size_t len, uint8_t shortname[FAT_NAME_LEN])
{
    memset(shortname, ' ', FAT_NAME_LEN);
    bool lossy = false;
    size_t start = 0;
    while (start < len && name[start] == '.')
        start++; /* leading dots are dropped */
    lossy = start > 0;
    size_t dot = len;
    for (size_t i = len; i > start; i--) {
        if (name[i - 1] == '.') {
            dot = i - 1;
            break;
        }
    }
    if (basis_part(name, start, dot, shortname, 8, &lossy) == 0) {
        shortname[0] = '_';
        lossy = true;
    }
    if (dot < len)
        basis_part(name, dot + 1, len, shortname + 8, 3, &lossy);
    return lossy;
}

void fat_short_tail(uint8_t shortname[FAT_NAME_LEN], unsigned n)
{
    char tail[8];
    size_t tlen = 0;
    char digits[8];
    size_t d = 0;
    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n && d < 6);
    tail[tlen++] = '~';
    while (d)
        tail[tlen++] = digits[--d];
    size_t base = 8;
    while (base > 0 && shortname[base - 1] == ' ')
        base--;
    size_t at = MIN(base, 8 - tlen);
    memcpy(shortname + at, tail, tlen);
    memset(shortname + at + tlen, ' ', 8 - at - tlen);
}

bool fat_name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

size_t fat_strip_tail(const char *name, size_t len)
{
    while (len > 0 && name[len - 1] == '.')
        len--;
    return len;
}

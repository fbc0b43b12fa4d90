/* The built-in console font: 8x16 bitmaps generated at build time from a PSF font (tools/gen_font.py
 * writes build/gen/font.c), and the lookup from Unicode code points to glyphs. */
#pragma once
#include <kestrel/types.h>

#define FONT_WIDTH  8
#define FONT_HEIGHT 16

struct font_map_entry {
    uint32_t cp;
    uint16_t glyph;
};

/* One byte per pixel row, most significant bit leftmost. */
extern const uint8_t font_glyphs[][FONT_HEIGHT];
extern const unsigned font_nglyphs;
/* The glyph for a code point the font lacks (U+FFFD or '?'). */
extern const uint16_t font_fallback;
/* Code points below 256 index this directly: almost all kernel text needs no search. */
extern const uint16_t font_latin1[256];
/* The other code points the font covers, sorted by cp. */
extern const struct font_map_entry font_map[];
extern const size_t font_map_len;

static inline uint16_t font_glyph(uint32_t cp)
{
    if (cp < 256)
        return font_latin1[cp];
    size_t lo = 0, hi = font_map_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (font_map[mid].cp == cp)
            return font_map[mid].glyph;
        if (font_map[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return font_fallback;
}

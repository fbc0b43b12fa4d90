/* The screen console's two backends; kernel/drivers/screen.c picks one at boot. */
#pragma once
#include "textgrid.h"
#include <kestrel/bootinfo.h>

/* Each sets up g over its device and clears the device; 0 or a negative errno. */
int fbcon_init(struct textgrid *g, const struct boot_framebuffer *fb);
int vgacon_init(struct textgrid *g);

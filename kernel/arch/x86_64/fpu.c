/* FPU/SSE state: turned on once at boot, then saved and restored per thread on every switch. The
 * kernel itself is built with -mgeneral-regs-only, so only threads that opt in (functions compiled
 * for SSE) ever change these registers; the switch still saves them eagerly, which costs two
 * instructions and spares us the #NM trap and the ownership tracking of lazy switching. */
#include <arch/context.h>
#include <arch/cpu.h>
#include <kestrel/string.h>

#define CR0_MP         (1ul << 1)  /* WAIT/FWAIT honour TS */
#define CR0_EM         (1ul << 2)  /* no x87 present: must be clear, or every FPU instruction traps */
#define CR0_TS         (1ul << 3)  /* task switched: the next FPU instruction traps (#NM) */
#define CR0_NE         (1ul << 5)  /* report x87 errors as #MF, not through the legacy IRQ 13 */
#define CR4_OSFXSR     (1ul << 9)  /* the OS saves state with FXSAVE: enables SSE instructions */
#define CR4_OSXMMEXCPT (1ul << 10) /* unmasked SSE exceptions raise #XM instead of #UD */
#define MXCSR_DEFAULT  0x1f80      /* all SSE exceptions masked, round to nearest */

/* What a new thread's registers hold: the state right after FNINIT with the default MXCSR. */
static struct fpu_state initial_state;

void fpu_save(struct fpu_state *s)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*s));
}

void fpu_restore(const struct fpu_state *s)
{
    __asm__ volatile("fxrstor64 %0" : : "m"(*s));
}

void fpu_init(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    uint32_t mxcsr = MXCSR_DEFAULT;
    __asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr));
    fpu_save(&initial_state);
}

void fpu_state_init(struct fpu_state *s)
{
    memcpy(s, &initial_state, sizeof(*s));
}

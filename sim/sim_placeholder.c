/* Placeholder so the library has a source; delete once sim has real sources. */
typedef int sim_placeholder_t;

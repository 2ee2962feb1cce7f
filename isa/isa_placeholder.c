/* Placeholder so the library has a source; delete once isa has real sources. */
typedef int isa_placeholder_t;

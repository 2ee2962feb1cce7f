/* Placeholder so the library has a source; delete once compare has real sources. */
typedef int compare_placeholder_t;

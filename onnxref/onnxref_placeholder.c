/* Placeholder so the library has a source; delete once onnxref has real sources. */
typedef int onnxref_placeholder_t;

/* The streams testdata for 6.17-6.18 (bpf_stream_vprintk_impl). */
#define STREAM_PRINTK_IMPL
#include "streams.bpf.c"

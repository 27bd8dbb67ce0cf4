/* Shared by the ring and perf buffer readers: deadlines for poll loops. */
#pragma once
#include <stdint.h>

/* Absolute monotonic deadline in ms for a timeout (< 0: none, gives -1). */
int64_t ringbuf_deadline(int timeout_ms);
/* Milliseconds left until deadline (>= 0). */
int ringbuf_remaining_ms(int64_t deadline);

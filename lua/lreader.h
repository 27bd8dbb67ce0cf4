/* Shared engine of the event readers (ebpf.ringbuf and ebpf.perf): the
 * delivery modes (string, BTF decode, string.pack-style unpack), the drain
 * loop run under lua_pcall, and the methods both types have. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "ebpf/record.h"
#include "lcommon.h"

#define EBPF_RINGBUF_MT "ebpf.ringbuf"
#define EBPF_PERF_MT "ebpf.perf"
#define EBPF_USER_RINGBUF_MT "ebpf.user_ringbuf"
#define EBPF_URB_SAMPLE_MT "ebpf.user_ringbuf.sample"

/* User values of a reader userdata. */
#define LREADER_UV_MAPS 1    /* list of the maps read (kept alive) */
#define LREADER_UV_TYPE 2    /* decode type object */
#define LREADER_UV_DECODE 3  /* its decode function */
#define LREADER_UV_ONLOST 4  /* perf: on_lost(cpu, count) */
#define LREADER_UV_COLUMNS 5 /* drain(): the reused column tables */
#define LREADER_NUV 5

/* Records handed to a drain() callback per call (at most). */
#define LREADER_COLUMN_BATCH 4096

enum { LREC_NONE = 0, LREC_SAMPLE = 1, LREC_LOST = 2 };

/* One record as the core's pull interface gives it. */
struct lrec {
    const void *data;
    size_t size;
    int tag;        /* ring index (ringbuf) or CPU (perf) */
    uint64_t lost;  /* LREC_LOST */
};

/* Records pulled per batch by poll/consume/drain. */
#define LREADER_BATCH 64

/* What a reader type plugs into the engine. */
struct lreader_ops {
    const char *kind;     /* "ringbuf" / "perf" for messages */
    int tag_base;         /* added to tag when passed to Lua (1: ring index is 1-based) */
    /* Releases the record held (if any) and peeks the next: LREC_* */
    int (*peek)(void *src, struct lrec *rec);
    void (*release)(void *src);
    int (*wait)(void *src, int timeout_ms);    /* 1 ready, 0 timeout, -errno */
    void (*free)(void *src);
    int (*epoll_fd)(void *src);
    uint64_t (*available)(void *src);
    /* The core's *_peek_batch (up to max records, not consumed): count. */
    int (*peek_batch)(void *src, struct ebpf_record *recs, int max);
    /* The core's *_commit: consumes the batch's records up to rec. */
    void (*commit)(void *src, const struct ebpf_record *rec);
    int tag_cpu;          /* the tag of a batch record is its CPU (else its ring) */
};

struct lunpack;
struct lbtf_plan;

typedef struct {
    const struct lreader_ops *ops;
    void *src;              /* core reader; NULL once freed */
    struct lunpack *up;     /* unpack mode when non-NULL */
    struct lbtf_plan *plan; /* decode mode with a compiled BTF decoder */
    int decode;             /* decode mode */
    int closed;             /* close() was called (src may live until a drain ends) */
    int busy;               /* inside a drain: callbacks may not re-enter */
    int pass_tag;           /* pass the ring index / CPU after the values */
    long count;             /* records handed over by the current drain */
    int held;               /* batch[held] was handed over and not committed, or -1 */
    int it_n, it_i, it_held; /* records(): batch size, next index, record being handed over */
    struct ebpf_record batch[LREADER_BATCH];
    char desc[96];          /* for __tostring */
} lreader;

/* Creates a closed reader userdata of metatable mt at the top. */
lreader *lreader_new(lua_State *L, const char *mt, const struct lreader_ops *ops);
/* Registers metatable mt with the shared methods plus `extra`. */
void lreader_register(lua_State *L, const char *mt, const luaL_Reg *extra);
/* Checks arg idx is an open reader (either type). */
lreader *lreader_check(lua_State *L, int idx);

/* ---- string.pack subset unpacker ---- */
/* Compiles fmt; raises on unsupported or malformed formats. */
struct lunpack *lunpack_compile(lua_State *L, const char *fmt);
void lunpack_free(struct lunpack *u);
/* Pushes the values of the record; returns how many (raises if the record
 * is shorter than the format). */
int lunpack_push(lua_State *L, const struct lunpack *u, const void *data, size_t size);
/* Bytes the format needs. */
size_t lunpack_size(const struct lunpack *u);

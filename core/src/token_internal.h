/* Which token a creation call uses: its own (> 0), else the default. */
#pragma once
#include "ebpf/token.h"

#define EBPF_F_TOKEN_FD (1u << 16) /* BPF_F_TOKEN_FD: map, program and BTF flags (6.9) */

static inline int token_pick(int own) { return own > 0 ? own : ebpf_token_default(); }

/* Internal side of map.h. */
#pragma once
#include <stddef.h>

#include "ebpf/map.h"

/* What a struct_ops map made by the loader registers with when attached
 * (libbpf's order: loading creates the map and the programs, attaching
 * updates key 0). value is in the kernel's layout with program fds in the
 * function-pointer slots: fds are dups owned here, so the value stays
 * valid whatever happens to the collection's program objects. */
struct ebpf_map_st_ops {
    void *value;
    char *type_name; /* the kernel struct, for messages */
    int *fds;
    size_t nfds;
};
void ebpf_map_st_ops_free(struct ebpf_map_st_ops *st);
/* Gives st (or NULL) to the map; clones do not inherit it. */
void ebpf_map_set_st_ops(struct ebpf_map *m, struct ebpf_map_st_ops *st);
const struct ebpf_map_st_ops *ebpf_map_st_ops(const struct ebpf_map *m);

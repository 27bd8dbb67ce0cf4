/* Internal side of map.h. */
#pragma once
#include "ebpf/map.h"

/* A plain struct_ops map the loader registered (updated): closing this
 * map object unregisters it (deletes key 0); clones do not. */
void ebpf_map_unregister_on_close(struct ebpf_map *m);

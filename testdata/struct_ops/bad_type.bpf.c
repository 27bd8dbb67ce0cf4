/* A struct_ops variable of a struct the kernel does not have. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

struct ebpf_lua_no_such_ops {
    int (*run)(void);
};

SEC("struct_ops/run")
int run(void)
{
    return 0;
}

SEC(".struct_ops")
struct ebpf_lua_no_such_ops bad_type = {
    .run = (void *)run,
};

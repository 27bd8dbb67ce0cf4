/* A weak .kconfig extern named neither CONFIG_* nor LINUX_*: libbpf knows
 * no source for its value and refuses the object, weak or not. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int EBPF_LUA_NO_PREFIX __kconfig __weak;

SEC("socket")
int use_it(void *ctx)
{
    return EBPF_LUA_NO_PREFIX;
}

char LICENSE[] SEC("license") = "GPL";

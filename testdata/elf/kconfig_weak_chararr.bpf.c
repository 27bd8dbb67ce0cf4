/* A weak virtual (LINUX_) .kconfig extern libbpf does not know, of a char
 * array type: libbpf defaults unknown weak LINUX_ externs to 0, which only
 * integer, char and bool externs take, so it refuses the object. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern char LINUX_EBPF_LUA_NAME[16] __kconfig __weak;

SEC("socket")
int use_name(void *ctx)
{
    return LINUX_EBPF_LUA_NAME[0];
}

char LICENSE[] SEC("license") = "GPL";

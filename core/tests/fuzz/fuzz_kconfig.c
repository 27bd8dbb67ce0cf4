/* libFuzzer: kernel config text (/proc/config.gz, /boot/config-*: lines
 * "CONFIG_X=y", "CONFIG_HZ=250", "CONFIG_S=\"str\"", "# CONFIG_X is not
 * set") through eext_kconfig_text for __kconfig externs of every type the
 * loader stores (bool, tristate enum, signed/unsigned integers of 1-8
 * bytes, char, char arrays), each with an image of its exact size (ASan
 * sees any write past it). The stored value must fit the type. */
#include <linux/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/btf.h"
#include "ebpf/error.h"
#include "elf/elf_extern.h"
#include "elf/elf_internal.h"

enum check { ANY, BOOL01, TRISTATE, STRING };
struct ext {
    const char *name;
    uint32_t type, size;
    enum check check;
};

static struct ebpf_btf *btf;
static struct ext exts[12];
static size_t next;

static void add(const char *name, int64_t type, uint32_t size, enum check check)
{
    if (type <= 0)
        abort();
    exts[next++] = (struct ext){name, (uint32_t)type, size, check};
}

static void setup(void)
{
    btf = ebpf_btf_new_empty(NULL);
    if (!btf)
        abort();
    int64_t b = ebpf_btf_add_int(btf, "bool", 1, BTF_INT_BOOL);
    int64_t tri = ebpf_btf_add_enum(btf, "libbpf_tristate", 4, false);
    if (ebpf_btf_add_enum_value(btf, "TRI_NO", 0) < 0 || ebpf_btf_add_enum_value(btf, "TRI_YES", 1) < 0 ||
        ebpf_btf_add_enum_value(btf, "TRI_MODULE", 2) < 0)
        abort();
    int64_t i32 = ebpf_btf_add_int(btf, "int", 4, BTF_INT_SIGNED);
    int64_t u64 = ebpf_btf_add_int(btf, "unsigned long long", 8, 0);
    int64_t i16 = ebpf_btf_add_int(btf, "short", 2, BTF_INT_SIGNED);
    int64_t u8 = ebpf_btf_add_int(btf, "unsigned char", 1, 0);
    int64_t ch = ebpf_btf_add_int(btf, "char", 1, BTF_INT_CHAR | BTF_INT_SIGNED);
    int64_t s32 = ebpf_btf_add_array(btf, (uint32_t)ch, (uint32_t)i32, 32);
    int64_t s1 = ebpf_btf_add_array(btf, (uint32_t)ch, (uint32_t)i32, 1);
    int64_t s300 = ebpf_btf_add_array(btf, (uint32_t)ch, (uint32_t)i32, 300);
    int64_t cu = ebpf_btf_add_const(btf, (uint32_t)u64);
    add("CONFIG_BPF_SYSCALL", b, 1, BOOL01);
    add("CONFIG_BPF_JIT", tri, 4, TRISTATE);
    add("CONFIG_HZ", i32, 4, ANY);
    add("CONFIG_NR_CPUS", u64, 8, ANY);
    add("CONFIG_S16", i16, 2, ANY);
    add("CONFIG_U8", u8, 1, ANY);
    add("CONFIG_CHAR", ch, 1, ANY);
    add("CONFIG_LOCALVERSION", s32, 32, STRING);
    add("CONFIG_S1", s1, 1, STRING);
    add("CONFIG_DEFAULT_HOSTNAME", s300, 300, STRING);
    add("CONFIG_CONST_U64", cu, 8, ANY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!btf)
        setup();
    char *cfg = malloc(size + 1);
    if (!cfg)
        return 0;
    memcpy(cfg, data, size);
    cfg[size] = 0;
    static char objname[] = "fuzz";
    for (size_t i = 0; i < next; i++) {
        /* one extern per spec: a bad value of one does not hide the others */
        struct eext e = {.name = (char *)exts[i].name, .kind = EEXT_KCONFIG, .weak = true,
                         .type_id = exts[i].type, .size = exts[i].size};
        struct ebpf_spec s;
        memset(&s, 0, sizeof(s));
        s.name = objname;
        s.exts = &e;
        s.next = 1;
        s.obtf = btf;
        unsigned char *img = calloc(1, exts[i].size);
        if (!img)
            break;
        int r = eext_kconfig_text(&s, NULL, cfg, img);
        if (r < 0 && !ebpf_error_message()[0])
            abort();
        if (r == 0) {
            uint32_t v;
            switch (exts[i].check) {
            case BOOL01:
                if (img[0] > 1)
                    abort();
                break;
            case TRISTATE:
                memcpy(&v, img, 4);
                if (v > 2)
                    abort();
                break;
            case STRING:
                if (!memchr(img, 0, exts[i].size))
                    abort(); /* always terminated inside the array */
                break;
            case ANY:
                break;
            }
        }
        free(img);
    }
    free(cfg);
    return 0;
}

/* What is attached to network devices, read over rtnetlink (the parts
 * BPF_PROG_QUERY does not report): XDP programs from a link dump
 * (IFLA_XDP) and classic tc cls_bpf filters from a filter dump on the
 * clsact hooks. For `ebpf net show`. */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ebpf/link.h"
#include "error_internal.h"

/* Sends a dump request of `type` and calls each(msg, ctx) for every reply
 * message until NLMSG_DONE. req is a zeroed header followed by the body
 * of body_len bytes that the caller filled; the header is filled here.
 * Returns 0 or -errno (the kernel's error message). */
static int nl_dump(struct nlmsghdr *req, uint16_t type, size_t body_len, int (*each)(struct nlmsghdr *, void *),
                   void *ctx)
{
    req->nlmsg_len = NLMSG_LENGTH(body_len);
    req->nlmsg_type = type;
    req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req->nlmsg_seq = 1;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    /* Dumps come in parts of up to a page or so; 32 KiB holds any. */
    size_t cap = 32768;
    char *buf = malloc(cap);
    int result = buf ? 1 : -ENOMEM;
    while (result == 1) {
        ssize_t n = recv(fd, buf, cap, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            result = -errno;
            break;
        }
        if (n == 0) {
            result = -EPROTO;
            break;
        }
        for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                result = 0;
                break;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *e = NLMSG_DATA(h);
                result = e->error ? e->error : 0;
                break;
            }
            int r = each(h, ctx);
            if (r < 0) {
                result = r;
                break;
            }
        }
    }
    free(buf);
    close(fd);
    return result;
}

/* A growing array of records of `size` bytes. */
struct vec {
    void *items;
    size_t n, cap, size;
};

static void *vec_push(struct vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void *p = realloc(v->items, cap * v->size);
        if (!p)
            return NULL;
        v->items = p;
        v->cap = cap;
    }
    void *it = (char *)v->items + v->n++ * v->size;
    memset(it, 0, v->size);
    return it;
}

static uint32_t rta_u32(const struct rtattr *a)
{
    uint32_t v = 0;
    if (RTA_PAYLOAD(a) >= sizeof(v))
        memcpy(&v, RTA_DATA(a), sizeof(v));
    return v;
}

static void rta_str(const struct rtattr *a, char *dst, size_t size)
{
    size_t n = RTA_PAYLOAD(a);
    if (n >= size)
        n = size - 1;
    memcpy(dst, RTA_DATA(a), n);
    dst[n] = 0;
}

static int each_link(struct nlmsghdr *h, void *ctx)
{
    if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
        return 0;
    struct ifinfomsg *ifi = NLMSG_DATA(h);
    struct ebpf_net_dev *d = vec_push(ctx);
    if (!d)
        return -ENOMEM;
    d->ifindex = ifi->ifi_index;
    int len = (int)IFLA_PAYLOAD(h);
    for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == IFLA_IFNAME) {
            rta_str(a, d->name, sizeof(d->name));
        } else if ((a->rta_type & NLA_TYPE_MASK) == IFLA_XDP) {
            int xl = (int)RTA_PAYLOAD(a);
            for (struct rtattr *x = RTA_DATA(a); RTA_OK(x, xl); x = RTA_NEXT(x, xl)) {
                switch (x->rta_type) {
                case IFLA_XDP_ATTACHED:
                    d->xdp_attached = *(uint8_t *)RTA_DATA(x);
                    break;
                case IFLA_XDP_PROG_ID: d->xdp_prog_id = rta_u32(x); break;
                case IFLA_XDP_SKB_PROG_ID: d->xdp_skb_prog_id = rta_u32(x); break;
                case IFLA_XDP_DRV_PROG_ID: d->xdp_drv_prog_id = rta_u32(x); break;
                case IFLA_XDP_HW_PROG_ID: d->xdp_hw_prog_id = rta_u32(x); break;
                }
            }
        }
    }
    return 0;
}

int ebpf_net_devices(struct ebpf_net_dev **out, size_t *count)
{
    struct {
        struct nlmsghdr n;
        struct ifinfomsg i;
    } req;
    memset(&req, 0, sizeof(req));
    req.i.ifi_family = AF_UNSPEC;
    struct vec v = {.size = sizeof(struct ebpf_net_dev)};
    int r = nl_dump(&req.n, RTM_GETLINK, sizeof(req.i), each_link, &v);
    if (r < 0) {
        free(v.items);
        return ebpf_err(-r, "net devices", "rtnetlink link dump: %s", ebpf_strerror(-r));
    }
    *out = v.items;
    *count = v.n;
    return 0;
}

static void parse_bpf_options(struct rtattr *opts, struct ebpf_tc_filter *f)
{
    int len = (int)RTA_PAYLOAD(opts);
    for (struct rtattr *a = RTA_DATA(opts); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        switch (a->rta_type) {
        case TCA_BPF_ID: f->prog_id = rta_u32(a); break;
        case TCA_BPF_NAME: rta_str(a, f->name, sizeof(f->name)); break;
        case TCA_BPF_FLAGS: f->direct_action = (rta_u32(a) & TCA_BPF_FLAG_ACT_DIRECT) != 0; break;
        }
    }
}

static int each_filter(struct nlmsghdr *h, void *ctx)
{
    if (h->nlmsg_type != RTM_NEWTFILTER || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)))
        return 0;
    struct tcmsg *t = NLMSG_DATA(h);
    int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*t)));
    struct rtattr *opts = NULL;
    int is_bpf = 0;
    for (struct rtattr *a = (struct rtattr *)((char *)t + NLMSG_ALIGN(sizeof(*t))); RTA_OK(a, len);
         a = RTA_NEXT(a, len)) {
        if (a->rta_type == TCA_KIND)
            is_bpf = RTA_PAYLOAD(a) >= 4 && !memcmp(RTA_DATA(a), "bpf", 4);
        else if (a->rta_type == TCA_OPTIONS)
            opts = a;
    }
    /* The first message per prio is the filter chain head, without options. */
    if (!is_bpf || !opts)
        return 0;
    struct ebpf_tc_filter *f = vec_push(ctx);
    if (!f)
        return -ENOMEM;
    f->handle = t->tcm_handle;
    f->prio = (uint16_t)(TC_H_MAJ(t->tcm_info) >> 16);
    parse_bpf_options(opts, f);
    return 0;
}

int ebpf_tc_filters(int ifindex, int egress, struct ebpf_tc_filter **out, size_t *count)
{
    struct {
        struct nlmsghdr n;
        struct tcmsg t;
    } req;
    memset(&req, 0, sizeof(req));
    req.t.tcm_family = AF_UNSPEC;
    req.t.tcm_ifindex = ifindex;
    req.t.tcm_parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
    struct vec v = {.size = sizeof(struct ebpf_tc_filter)};
    int r = nl_dump(&req.n, RTM_GETTFILTER, sizeof(req.t), each_filter, &v);
    /* No clsact qdisc on the device: nothing attached, not a failure. */
    if (r == -EINVAL || r == -ENOENT)
        r = 0, v.n = 0;
    if (r < 0) {
        free(v.items);
        return ebpf_err(-r, "tc filters", "ifindex %d: rtnetlink filter dump: %s", ifindex, ebpf_strerror(-r));
    }
    *out = v.items;
    *count = v.n;
    return 0;
}

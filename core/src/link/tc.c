/* tc attachment: tcx or classic tc, chosen by the "tcx" link probe unless
 * the caller forces one. Classic tc goes over rtnetlink: a clsact qdisc
 * (kept, shared) and a cls_bpf filter in direct-action mode that close()
 * deletes; for kernels before tcx (6.6), and for users who want tc
 * semantics (prio, handle). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ebpf/features.h"
#include "link_internal.h"

struct nlreq {
    struct nlmsghdr n;
    struct tcmsg t;
    char buf[512];
};

static void add_attr(struct nlreq *r, int type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));
    a->rta_type = (unsigned short)type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(a), data, len);
    r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static struct rtattr *nest_start(struct nlreq *r, int type)
{
    struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));
    add_attr(r, type | NLA_F_NESTED, NULL, 0);
    return a;
}

static void nest_end(struct nlreq *r, struct rtattr *a)
{
    a->rta_len = (unsigned short)((char *)r + r->n.nlmsg_len - (char *)a);
}

/* Sends a request, waits for the ack; with echo, fills *reply_tc with the
 * echoed tcmsg. Returns 0 or -errno. */
static int nl_talk(struct nlreq *r, struct tcmsg *reply_tc)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    r->n.nlmsg_seq = 1;
    r->n.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    if (sendto(fd, r, r->n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    char buf[8192];
    int result = -EPROTO;
    for (int done = 0; !done;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            result = -errno;
            break;
        }
        for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *e = NLMSG_DATA(h);
                result = e->error;
                done = 1;
                break;
            }
            if (h->nlmsg_type == RTM_NEWTFILTER && reply_tc)
                memcpy(reply_tc, NLMSG_DATA(h), sizeof(*reply_tc));
        }
    }
    close(fd);
    return result;
}

static void init_req(struct nlreq *r, int type, int flags, int ifindex)
{
    memset(r, 0, sizeof(*r));
    r->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
    r->n.nlmsg_type = (unsigned short)type;
    r->n.nlmsg_flags = (unsigned short)flags;
    r->t.tcm_family = AF_UNSPEC;
    r->t.tcm_ifindex = ifindex;
}

#define CLSACT_PARENT(egress) TC_H_MAKE(TC_H_CLSACT, (egress) ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS)

static struct ebpf_link *tc_classic(const struct ebpf_prog *p, int ifindex, const struct ebpf_tc_opts *o)
{
    char ifn[IF_NAMESIZE] = "?";
    if_indextoname((unsigned)ifindex, ifn);
    char what[128];
    snprintf(what, sizeof(what), "tc %s %s (ifindex %d)", o->egress ? "egress" : "ingress", ifn, ifindex);
    int t = ebpf_prog_type(p);
    if (t != BPF_PROG_TYPE_SCHED_CLS)
        return link_fail(p, EINVAL, what, "sched_cls"), errno = EINVAL, NULL;
    struct nlreq r;
    init_req(&r, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex);
    r.t.tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
    r.t.tcm_parent = TC_H_CLSACT;
    add_attr(&r, TCA_KIND, "clsact", 7);
    int e = nl_talk(&r, NULL);
    if (e < 0 && e != -EEXIST)
        return ebpf_err_null(-e, "attach", "%s: creating the clsact qdisc: %s", what, strerror(-e));

    init_req(&r, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, ifindex);
    r.t.tcm_parent = CLSACT_PARENT(o->egress);
    r.t.tcm_handle = o->handle;
    r.t.tcm_info = TC_H_MAKE(o->prio << 16, htons(ETH_P_ALL));
    add_attr(&r, TCA_KIND, "bpf", 4);
    struct rtattr *opt = nest_start(&r, TCA_OPTIONS);
    uint32_t pfd = (uint32_t)ebpf_prog_fd(p), flags = TCA_BPF_FLAG_ACT_DIRECT;
    add_attr(&r, TCA_BPF_FD, &pfd, 4);
    const char *pn = ebpf_prog_name(p);
    char name[64];
    snprintf(name, sizeof(name), "%s", pn && pn[0] ? pn : "ebpf-lua");
    add_attr(&r, TCA_BPF_NAME, name, strlen(name) + 1);
    add_attr(&r, TCA_BPF_FLAGS, &flags, 4);
    nest_end(&r, opt);
    struct tcmsg echo;
    memset(&echo, 0, sizeof(echo));
    e = nl_talk(&r, &echo);
    if (e < 0) {
        if (e == -EEXIST)
            return ebpf_err_null(EEXIST, "attach", "%s: a filter with prio %u handle %u exists", what, o->prio, o->handle);
        link_fail(p, -e, what, "sched_cls");
        errno = -e;
        return NULL;
    }
    struct ebpf_link *l = link_new(EBPF_LINK_TC, "%s", what);
    if (!l)
        return NULL;
    l->ifindex = (uint32_t)ifindex;
    l->tc_parent = CLSACT_PARENT(o->egress);
    l->tc_handle = echo.tcm_handle ? echo.tcm_handle : o->handle;
    l->tc_prio = echo.tcm_info ? TC_H_MAJ(echo.tcm_info) >> 16 : o->prio;
    size_t dl = strlen(l->desc);
    snprintf(l->desc + dl, sizeof(l->desc) - dl, " prio %u handle 0x%x", l->tc_prio, l->tc_handle);
    return l;
}

static struct ebpf_link *tc_tcx(const struct ebpf_prog *p, int ifindex, const struct ebpf_tc_opts *o)
{
    struct ebpf_tcx_opts to = {.egress = o->egress, .relative_fd = -1};
    return ebpf_link_tcx(p, ifindex, &to);
}

struct ebpf_link *ebpf_link_tc(const struct ebpf_prog *p, int ifindex, const struct ebpf_tc_opts *o)
{
    if (o->mode == EBPF_TC_CLASSIC)
        return tc_classic(p, ifindex, o);
    if (o->mode == EBPF_TC_TCX) {
        if (o->prio || o->handle)
            return ebpf_err_null(EINVAL, "attach", "tc: prio and handle are classic tc filter properties, "
                                                   "not tcx ones");
        return tc_tcx(p, ifindex, o);
    }
    if (o->mode != EBPF_TC_AUTO)
        return ebpf_err_null(EINVAL, "attach", "tc: unknown mode %d", o->mode);
    if (o->prio || o->handle || ebpf_prog_type(p) != BPF_PROG_TYPE_SCHED_CLS)
        return tc_classic(p, ifindex, o);
    int st = ebpf_feature_link("tcx", NULL);
    if (st == EBPF_FEATURE_UNSUPPORTED)
        return tc_classic(p, ifindex, o);
    struct ebpf_link *l = tc_tcx(p, ifindex, o);
    if (!l && st != EBPF_FEATURE_SUPPORTED && (errno == EINVAL || errno == EOPNOTSUPP)) {
        /* inconclusive probe, and the kernel does not know tcx */
        ebpf_error_clear();
        return tc_classic(p, ifindex, o);
    }
    return l;
}

void link_tc_detach(struct ebpf_link *l)
{
    struct nlreq r;
    init_req(&r, RTM_DELTFILTER, 0, (int)l->ifindex);
    r.t.tcm_parent = l->tc_parent;
    r.t.tcm_handle = l->tc_handle;
    r.t.tcm_info = TC_H_MAKE(l->tc_prio << 16, htons(ETH_P_ALL));
    add_attr(&r, TCA_KIND, "bpf", 4);
    nl_talk(&r, NULL);
}

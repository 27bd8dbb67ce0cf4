/* Test helper: creates a netkit pair (Debian 12's iproute2 predates
 * netkit) over rtnetlink: netkit_pair PRIMARY PEER. Mode L3, default
 * policies (pass). Exit status 0 on success, else prints the error. */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* enum of <linux/if_link.h> since 6.7 */
#define NETKIT_PEER_INFO 1
#define NETKIT_MODE 5
#define NETKIT_L3 1

struct req {
    struct nlmsghdr h;
    struct ifinfomsg i;
    char buf[512];
};

/* Takes the whole request so the compiler sees the buffer the attribute
 * lands in (a bare header pointer reads as a 16-byte object). */
static struct rtattr *put(struct req *r, int type, const void *data, int len)
{
    struct nlmsghdr *h = &r->h;
    struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
    a->rta_type = (unsigned short)type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(a), data, (size_t)len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
    return a;
}

static void end(struct nlmsghdr *h, struct rtattr *nest)
{
    nest->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)nest);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: netkit_pair PRIMARY PEER\n");
        return 2;
    }
    struct req r;
    memset(&r, 0, sizeof(r));
    r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    r.h.nlmsg_type = RTM_NEWLINK;
    r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    r.i.ifi_family = AF_UNSPEC;
    put(&r, IFLA_IFNAME, argv[1], (int)strlen(argv[1]) + 1);
    struct rtattr *li = put(&r, IFLA_LINKINFO, NULL, 0);
    put(&r, IFLA_INFO_KIND, "netkit", 7);
    struct rtattr *data = put(&r, IFLA_INFO_DATA, NULL, 0);
    /* the peer's ifinfomsg heads the nest, its attributes follow */
    struct ifinfomsg pi = {.ifi_family = AF_UNSPEC};
    struct rtattr *peer = put(&r, NETKIT_PEER_INFO, &pi, (int)sizeof(pi));
    put(&r, IFLA_IFNAME, argv[2], (int)strlen(argv[2]) + 1);
    end(&r.h, peer);
    unsigned mode = NETKIT_L3;
    put(&r, NETKIT_MODE, &mode, sizeof(mode));
    end(&r.h, data);
    end(&r.h, li);

    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0 || send(s, &r, r.h.nlmsg_len, 0) < 0) {
        perror("netlink");
        return 1;
    }
    char buf[4096];
    ssize_t n = recv(s, buf, sizeof(buf), 0);
    close(s);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (n < (ssize_t)sizeof(*h) || h->nlmsg_type != NLMSG_ERROR) {
        fprintf(stderr, "netlink: unexpected answer\n");
        return 1;
    }
    int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    if (err) {
        fprintf(stderr, "creating netkit %s/%s: %s\n", argv[1], argv[2], strerror(-err));
        return 1;
    }
    return 0;
}

/* Test helper for BPF tokens (6.9+): runs a command as an unprivileged
 * user (uid/gid 65534) that is root only in a new user namespace, with a
 * bpffs delegated to it. The flow is the kernel's: the child opens a bpffs
 * context in its user namespace (fsopen), the privileged parent sets the
 * delegate_* options and creates it, then mounts it (fsmount) and hands
 * the mount fd back; the child runs the command with
 * EBPF_BPF_TOKEN_PATH=/proc/self/fd/N naming that bpffs.
 *   token_runner [--root-uid] [--no-token | --var NAME] CMD ARGS...
 * --no-token: the same unprivileged child without the delegated bpffs;
 * --var NAME: the path goes into NAME instead of EBPF_BPF_TOKEN_PATH;
 * --root-uid: the namespace's root is uid 0 outside too (for checkouts
 * that nobody can read); it still has no capability outside. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#define NOBODY 65534

static void die(const char *what)
{
    fprintf(stderr, "token_runner: %s: %s\n", what, strerror(errno));
    exit(120);
}

static void send_fd(int sock, int fd)
{
    char c = 'f';
    struct iovec iov = {&c, 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof(u));
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof(int));
    if (sendmsg(sock, &m, 0) != 1)
        die("sendmsg");
}

static int recv_fd(int sock)
{
    char c;
    struct iovec iov = {&c, 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    if (recvmsg(sock, &m, 0) != 1)
        die("recvmsg");
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    if (!h || h->cmsg_type != SCM_RIGHTS)
        die("no fd received");
    int fd;
    memcpy(&fd, CMSG_DATA(h), sizeof(int));
    return fd;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        die(path);
    close(fd);
}

static void sync_byte(int sock, int send)
{
    char c = 's';
    if (send ? write(sock, &c, 1) != 1 : read(sock, &c, 1) != 1)
        die("sync");
}

int main(int argc, char **argv)
{
    int token = 1, a = 1, outside = NOBODY;
    const char *var = "EBPF_BPF_TOKEN_PATH";
    if (argc > 1 && !strcmp(argv[1], "--root-uid")) {
        outside = 0;
        argv++;
        argc--;
    }
    if (argc > 1 && !strcmp(argv[1], "--no-token"))
        token = 0, a = 2;
    else if (argc > 2 && !strcmp(argv[1], "--var"))
        var = argv[2], a = 3;
    if (a >= argc) {
        fprintf(stderr, "usage: token_runner [--no-token | --var NAME] CMD ARGS...\n");
        return 2;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        die("socketpair");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(sv[0]);
        if (setgroups(0, NULL) < 0 || setresgid(outside, outside, outside) < 0 ||
            setresuid(outside, outside, outside) < 0)
            die("dropping privileges");
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
            die("unshare");
        sync_byte(sv[1], 1); /* parent writes the id maps */
        sync_byte(sv[1], 0);
        if (token) {
            int fs = (int)syscall(SYS_fsopen, "bpf", 0);
            if (fs < 0)
                die("fsopen bpf");
            send_fd(sv[1], fs);
            close(fs);
            int mnt = recv_fd(sv[1]);
            char env[64];
            snprintf(env, sizeof(env), "/proc/self/fd/%d", mnt);
            unsetenv("EBPF_BPF_TOKEN_PATH");
            setenv(var, env, 1);
        }
        execvp(argv[a], argv + a);
        die(argv[a]);
    }
    close(sv[1]);
    sync_byte(sv[0], 0);
    char path[64], map[32];
    snprintf(map, sizeof(map), "0 %d 1\n", outside);
    snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
    write_file(path, "deny");
    snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
    write_file(path, map);
    snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
    write_file(path, map);
    sync_byte(sv[0], 1);
    if (token) {
        int fs = recv_fd(sv[0]);
        static const char *const opts[] = {"delegate_cmds", "delegate_maps", "delegate_progs", "delegate_attachs"};
        for (size_t i = 0; i < 4; i++)
            if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, opts[i], "any", 0) < 0)
                die(opts[i]);
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
            die("creating the bpffs");
        int mnt = (int)syscall(SYS_fsmount, fs, 0, 0);
        if (mnt < 0)
            die("fsmount");
        send_fd(sv[0], mnt);
        close(mnt);
        close(fs);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0)
        die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

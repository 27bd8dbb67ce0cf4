/* Running programs and touching files without a shell and without trusting
 * /tmp, for ebpf.compile and the vmlinux.h cache (lua/ebpf/elf.lua):
 * argv-list spawns, private temp dirs (mkdtemp, 0700), files created
 * O_EXCL|O_NOFOLLOW, and cache dirs/files checked for ownership. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "lcommon.h"

#define SPAWN_MAX_ARGS 4096
#define SPAWN_MAX_OUTPUT (16u << 20) /* a compiler's diagnostics, not data */

/* Path of an executable: a name with a '/' as is (if executable), else
 * searched in PATH. NULL if none. */
static const char *which(const char *name, char *buf, size_t size)
{
    if (!name[0])
        return NULL;
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? name : NULL;
    const char *path = getenv("PATH");
    if (!path || !path[0])
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n && n + 1 + strlen(name) < size) {
            memcpy(buf, path, n);
            buf[n] = '/';
            strcpy(buf + n + 1, name);
            struct stat st;
            if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
                return buf;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return NULL;
}

/* core.which(name) -> path | nil */
static int l_which(lua_State *L)
{
    char buf[PATH_MAX];
    const char *p = which(ebpf_lua_check_path(L, 1, "program"), buf, sizeof(buf));
    if (p)
        lua_pushstring(L, p);
    else
        lua_pushnil(L);
    return 1;
}

/* core.spawn({prog, arg, ...}) -> ok, output, exit code: runs the program
 * (PATH searched for a bare name) with exactly these arguments, stdin from
 * /dev/null, stdout and stderr captured together. */
static int l_spawn(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || n > SPAWN_MAX_ARGS)
        return luaL_argerror(L, 1, "a list of 1 to 4096 arguments");
    const char **argv = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof(char *), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (!s || lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "spawn: argument %d is not a string", (int)i);
        if (strlen(s) != len)
            return luaL_error(L, "spawn: argument %d contains a NUL byte", (int)i);
        argv[i - 1] = s; /* anchored by the table */
        lua_pop(L, 1);
    }
    argv[n] = NULL;
    char buf[PATH_MAX];
    const char *prog = which(argv[0], buf, sizeof(buf));
    if (!prog)
        return ebpf_lua_fail_msg(L, ENOENT, "spawn", "'%s': no such program (PATH searched)", argv[0]);
    /* out: the child's stdout+stderr; err: the child's exec errno (closed
     * unread by a successful exec, as it is O_CLOEXEC). */
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return ebpf_lua_fail_msg(L, errno, "spawn", "pipe: %s", strerror(errno));
    if (pipe2(err, O_CLOEXEC) < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        return ebpf_lua_fail_msg(L, e, "spawn", "pipe: %s", strerror(e));
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        return ebpf_lua_fail_msg(L, e, "spawn", "fork: %s", strerror(e));
    }
    if (pid == 0) {
        /* Only async-signal-safe calls here. The program gets stdin from
         * /dev/null, the capture pipe as stdout/stderr and no other fd of
         * ours (Lua's io files are not close-on-exec), default signal
         * dispositions for what we changed and an empty signal mask. */
        int e = 0;
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (nul < 0 || dup2(nul, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
            e = errno;
        if (!e) {
            int keep = err[1];
            if (keep != 3 && dup2(keep, 3) >= 0) /* the errno pipe becomes fd 3, all above it closed */
                keep = 3;
            fcntl(keep, F_SETFD, FD_CLOEXEC);
            closefrom(keep + 1);
            for (int fd = 3; fd < keep; fd++)
                close(fd);
            err[1] = keep;
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            signal(SIGPIPE, SIG_DFL);
            execv(prog, (char *const *)argv);
            e = errno;
        }
        while (write(err[1], &e, sizeof(e)) < 0 && errno == EINTR) {
        }
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    int child_errno = 0;
    ssize_t got;
    while ((got = read(err[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR) {
    }
    close(err[0]);
    if (got == (ssize_t)sizeof(child_errno)) { /* exec failed: say why, reap the child */
        close(out[0]);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        return ebpf_lua_fail_msg(L, child_errno, "spawn", "cannot run '%s': %s", prog, strerror(child_errno));
    }
    close(out[1]);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t total = 0;
    for (;;) {
        char chunk[4096];
        ssize_t r = read(out[0], chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (total < SPAWN_MAX_OUTPUT) /* keep draining past the cap so the child never blocks */
            luaL_addlstring(&b, chunk, (size_t)r);
        total += (size_t)r;
    }
    close(out[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    luaL_pushresult(&b);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    lua_pushboolean(L, WIFEXITED(st) && code == 0);
    lua_insert(L, -2);
    lua_pushinteger(L, code);
    return 3;
}

/* core.mkdtemp() -> path: a new private (0700) directory under $TMPDIR or /tmp */
static int l_mkdtemp(lua_State *L)
{
    const char *base = getenv("TMPDIR");
    if (!base || base[0] != '/')
        base = "/tmp";
    char tmpl[PATH_MAX];
    if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/ebpf-lua.XXXXXX", base) >= sizeof(tmpl))
        return ebpf_lua_fail_msg(L, ENAMETOOLONG, "mkdtemp", "TMPDIR is too long");
    if (!mkdtemp(tmpl))
        return ebpf_lua_fail_msg(L, errno, "mkdtemp", "%s: %s", tmpl, strerror(errno));
    lua_pushstring(L, tmpl);
    return 1;
}

/* core.write_new(path, data [, mode]) -> true: creates the file (never an
 * existing one, never through a symlink) and writes it whole. */
static int l_write_new(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    mode_t mode = (mode_t)luaL_optinteger(L, 3, 0600) & 0777;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return ebpf_lua_fail_msg(L, errno, "write", "%s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            unlink(path);
            return ebpf_lua_fail_msg(L, e, "write", "%s: %s", path, strerror(e));
        }
        done += (size_t)w;
    }
    if (close(fd) < 0)
        return ebpf_lua_fail_msg(L, errno, "write", "%s: %s", path, strerror(errno));
    lua_pushboolean(L, 1);
    return 1;
}

/* core.rmdir_private(dir): removes a directory made by core.mkdtemp with
 * the files (not directories) directly in it; never follows symlinks. */
static int l_rmdir_private(lua_State *L)
{
    const char *dir = ebpf_lua_check_path(L, 1, "dir");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return ebpf_lua_fail_msg(L, errno, "remove", "%s: %s", dir, strerror(errno));
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return ebpf_lua_fail_msg(L, errno, "remove", "%s: %s", dir, strerror(errno));
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(dirfd(d), e->d_name, 0); /* directories stay: rmdir then fails, visibly */
    closedir(d);
    if (rmdir(dir) < 0)
        return ebpf_lua_fail_msg(L, errno, "remove", "%s: %s", dir, strerror(errno));
    lua_pushboolean(L, 1);
    return 1;
}

/* An existing path is safe to trust when it is ours (owner = euid), not a
 * symlink, of the expected kind and not writable by group or others. */
static int check_owned(lua_State *L, const char *path, int want_dir)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return ebpf_lua_fail_msg(L, errno, "cache", "%s: %s", path, strerror(errno));
    const char *why = S_ISLNK(st.st_mode) ? "is a symlink"
                    : want_dir && !S_ISDIR(st.st_mode) ? "is not a directory"
                    : !want_dir && !S_ISREG(st.st_mode) ? "is not a regular file"
                    : st.st_uid != geteuid() ? "belongs to another user"
                    : (st.st_mode & 022) ? "is writable by group or others"
                    : NULL;
    if (why)
        return ebpf_lua_fail_msg(L, EPERM, "cache", "refusing '%s': it %s", path, why);
    lua_pushboolean(L, 1);
    return 1;
}

/* core.private_dir(path) -> true: makes the directory (0700, parents as
 * needed, each new one 0700) or checks that the existing one is ours; every
 * ancestor must belong to root or us and be writable by no one else
 * (unless sticky, as /tmp). */
static int l_private_dir(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    if (path[0] != '/')
        return ebpf_lua_fail_msg(L, EINVAL, "cache", "'%s' is not an absolute path", path);
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof(buf))
        return ebpf_lua_fail_msg(L, ENAMETOOLONG, "cache", "path too long");
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return ebpf_lua_fail_msg(L, errno, "cache", "%s: %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
            /* An ancestor whose owner is someone else, or that others may
             * write without the sticky bit, lets them rename our directory
             * away and put their own in its place after every check. */
            *p = 0;
            struct stat st;
            const char *why = stat(buf, &st) < 0 ? strerror(errno)
                            : !S_ISDIR(st.st_mode) ? "is not a directory"
                            : st.st_uid != 0 && st.st_uid != geteuid() ? "belongs to another user"
                            : (st.st_mode & 022) && !(st.st_mode & S_ISVTX) ? "is writable by group or others"
                            : NULL;
            if (why) {
                lua_pushstring(L, buf);
                *p = c;
                return ebpf_lua_fail_msg(L, EPERM, "cache", "refusing '%s': its parent '%s' %s", path,
                                         lua_tostring(L, -1), why);
            }
            *p = c;
        }
    }
    return check_owned(L, path, 1);
}

/* core.owned_file(path) -> true | nil, err: an existing cache file we may trust */
static int l_owned_file(lua_State *L)
{
    return check_owned(L, ebpf_lua_check_path(L, 1, "path"), 0);
}

/* core.read_file(path [, what [, max]]) -> bytes | nil, err: a regular file
 * only (FIFOs and devices are refused, never waited on), at most max bytes
 * (default 1 GiB). */
static int l_read_file(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    const char *what = luaL_optstring(L, 2, "file");
    lua_Integer max = luaL_optinteger(L, 3, (lua_Integer)EBPF_MAX_OBJECT_FILE);
    if (max <= 0)
        return luaL_argerror(L, 3, "max must be > 0");
    size_t len;
    char *buf = ebpf_file_read(path, what, (size_t)max, &len);
    if (!buf)
        return ebpf_lua_fail(L);
    lua_pushlstring(L, buf, len);
    free(buf);
    return 1;
}

/* core.hash(s, ...) -> 16 hex digits: FNV-1a 64 over the strings (with a
 * separator), for cache keys. Not cryptographic: the cache is private. */
static int l_hash(lua_State *L)
{
    uint64_t h = 0xcbf29ce484222325ull;
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const unsigned char *p = (const unsigned char *)luaL_checklstring(L, i, &len);
        for (size_t k = 0; k < len; k++)
            h = (h ^ p[k]) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull;
    }
    char out[17];
    snprintf(out, sizeof(out), "%016llx", (unsigned long long)h);
    lua_pushstring(L, out);
    return 1;
}

/* core.file_id(path) -> "size:mtime_ns:inode" | nil: changes when the file does */
static int l_file_id(lua_State *L)
{
    struct stat st;
    if (stat(ebpf_lua_check_path(L, 1, "path"), &st) < 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushfstring(L, "%I:%I:%I", (LUAI_UACINT)st.st_size,
                    (LUAI_UACINT)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, (LUAI_UACINT)st.st_ino);
    return 1;
}

/* core.listdir(path) -> { {name=, type="dir"|"file"|"link"|"other"}, ... }
 * or nil, err, errno: the entries of a directory ("." and ".." left out),
 * never following a symlink at the path itself; for walking /proc and the
 * cgroup tree without a shell. readlink(path) -> target or nil, err. */
static int l_listdir(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ebpf_lua_fail_msg(L, e, "listdir", "%s: %s", path, strerror(e));
    }
    lua_newtable(L);
    lua_Integer n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        lua_createtable(L, 0, 2);
        lua_pushstring(L, e->d_name);
        lua_setfield(L, -2, "name");
        unsigned char t = e->d_type;
        if (t == DT_UNKNOWN) {
            struct stat st;
            if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK : 0;
        }
        lua_pushstring(L, t == DT_DIR ? "dir" : t == DT_REG ? "file" : t == DT_LNK ? "link" : "other");
        lua_setfield(L, -2, "type");
        lua_rawseti(L, -2, ++n);
    }
    closedir(d);
    return 1;
}

static int l_readlink(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof(buf));
    if (n < 0)
        return ebpf_lua_fail_msg(L, errno, "readlink", "%s: %s", path, strerror(errno));
    lua_pushlstring(L, buf, (size_t)n);
    return 1;
}

/* core.geteuid() -> the effective user id */
static int l_geteuid(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)geteuid());
    return 1;
}

/* core.machine() -> "x86_64", ... (uname -m) */
static int l_machine(lua_State *L)
{
    struct utsname u;
    if (uname(&u) < 0)
        return ebpf_lua_fail_msg(L, errno, "uname", "uname: %s", strerror(errno));
    lua_pushstring(L, u.machine);
    return 1;
}

void ebpf_lua_open_proc(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"which", l_which},         {"spawn", l_spawn},         {"mkdtemp", l_mkdtemp},
        {"write_new", l_write_new}, {"rmdir_private", l_rmdir_private}, {"private_dir", l_private_dir},
        {"owned_file", l_owned_file}, {"machine", l_machine},   {"geteuid", l_geteuid},
        {"read_file", l_read_file}, {"hash", l_hash}, {"file_id", l_file_id},
        {"listdir", l_listdir}, {"readlink", l_readlink},
        {NULL, NULL},
    };
    luaL_setfuncs(L, funcs, 0);
}

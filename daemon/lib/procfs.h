/*
 * procfs: read what the kernel says about a process. The parse_* functions
 * are pure (a buffer in, a struct out) so they are unit-tested on fixed
 * text; procfs_read_* read the live files.
 */
#ifndef MEMDIAG_PROCFS_H
#define MEMDIAG_PROCFS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct procfs_stat {
	pid_t pid;
	char comm[32];
	char state;
	pid_t ppid;
	unsigned long long starttime;	/* clock ticks since boot */
};

struct procfs_status {
	pid_t ppid;
	uint64_t sigcgt;	/* signals with a handler */
	uint64_t capeff;	/* effective capabilities (bit CAP_X) */
	uid_t uid;
	pid_t nspid[8];		/* NSpid: outermost first */
	int nnspid;
};

enum procfs_proto { PROCFS_UDP, PROCFS_TCP };

struct procfs_sock {
	enum procfs_proto proto;
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order */
	uint16_t port;
	unsigned long inode;
	bool listening;		/* TCP LISTEN, or an unconnected UDP socket */
};

/* "/proc/PID/stat"; false when malformed. comm may hold spaces and ')'. */
bool procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *);
bool procfs_parse_status(const char *buf, size_t len, struct procfs_status *);
/* One line of /proc/PID/net/{udp,udp6,tcp,tcp6}; false for the header. */
bool procfs_parse_net_line(const char *line, enum procfs_proto, int family,
    struct procfs_sock *);
/* "socket:[12345]" -> 12345, else 0. */
unsigned long procfs_socket_inode(const char *link);
/* Does the handler mask catch this signal? */
bool procfs_catches(uint64_t sigcgt, int sig);
/* "/proc/PID/syscall": the syscall a blocked process waits in, -1 when it
 * is running, -2 when the text is unreadable. */
long procfs_parse_syscall(const char *buf, size_t len);

/* Live reads. false with errno set on failure. */
bool procfs_read_stat(pid_t, struct procfs_stat *);
bool procfs_read_status(pid_t, struct procfs_status *);
/* argv of a process (NUL-separated in the kernel); caller frees. */
char **procfs_read_cmdline(pid_t, int *argc);
void procfs_free_argv(char **);
/* Target of /proc/PID/exe without " (deleted)"; *deleted set if it was. */
bool procfs_read_exe(pid_t, char *buf, size_t len, bool *deleted);
/* NAME's value in an environment block (NAME=value, NUL-separated) into
 * out; false when absent, empty or longer than outlen - 1. */
bool procfs_parse_environ(const char *buf, size_t len, const char *name,
    char *out, size_t outlen);
/* The same from /proc/PID/environ (its first 64 KB). */
bool procfs_read_environ(pid_t, const char *name, char *out, size_t outlen);
/* Read a whole small file into buf (NUL-terminated); bytes read or -1. */
ssize_t procfs_read_file(const char *path, char *buf, size_t len);
/* Children of pid (direct), by scanning /proc; caller frees. */
pid_t *procfs_children(pid_t, size_t *n);
/* Socket inodes among a process's open files; caller frees. */
unsigned long *procfs_socket_inodes(pid_t, size_t *n);
/* Every socket in the process's network namespace; caller frees. */
struct procfs_sock *procfs_sockets(pid_t, size_t *n);
/* Named FIFOs among a process's open files (NULL-terminated, each once;
 * caller frees). */
char **procfs_fifo_paths(pid_t, size_t *n);
/* Paths of listening unix sockets whose inode is in `inodes`. */
char **procfs_unix_paths(pid_t, const unsigned long *inodes, size_t n,
    size_t *npaths);

#endif

/*
 * notify_listen PATH: bind a datagram socket at PATH, as systemd's
 * NOTIFY_SOCKET, and print every message it receives on a line of its
 * own (newlines inside become ';'), until killed.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	char buf[4096];
	ssize_t n, i;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: notify_listen PATH\n");
		return 64;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror(argv[1]);
		return 71;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) < 0)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = ';';
		buf[n] = '\0';
		printf("%s\n", buf);
	}
}

/*
 * rusage.c - run a command and report its wall time and peak memory.
 *
 *   usage: rusage OUTFILE COMMAND [ARGS...]
 *
 * Writes "WALL_SECONDS MAX_RSS_KIB EXIT_STATUS CPU_SECONDS" to OUTFILE (CPU:
 * user + system of everything the command waited for).  The peak is the
 * largest resident set of the command or of any process it waited for
 * (getrusage RUSAGE_CHILDREN), so "sh -c 'a | b'" reports the larger of a
 * and b.  The command's own output is left alone.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARGS...]\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int st = 0;
	if (waitpid(pid, &st, 0) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	FILE *o = fopen(argv[1], "w");
	if (!o)
		return 2;
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	fprintf(o, "%.3f %ld %d %.3f\n", wall, ru.ru_maxrss, code, cpu);
	return fclose(o) == 0 ? 0 : 2;
}

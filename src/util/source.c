/* source.c - read-only evidence sources: whole reads, mappings, sequential passes. */
#include "util/source.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/fileio.h"
#include "util/xalloc.h"

#ifndef O_NOATIME
#define O_NOATIME 0
#endif

#define SRC_GUARD_SLOTS 256       /* mapped sources open at once with a SIGBUS guard */
#define ZERO_CHUNK (1u << 20)

struct hv_source {
	char *name;
	int fd;                   /* -1 for memory */
	uint64_t size;
	const uint8_t *data;      /* buffer, mapping or borrowed memory */
	uint8_t *owned;           /* buffer read from the file */
	bool mapped;
	int guard;                /* slot index, -1 when none */
	volatile sig_atomic_t changed;
	bool hashed;
	char sha256[65];
};

/* ---- SIGBUS guard: a mapped file truncated under us reads as zeros ------------------ */

typedef struct {
	volatile uintptr_t start;  /* 0: free */
	volatile uintptr_t end;
	volatile sig_atomic_t *changed;
} guard_slot;

static guard_slot slots[SRC_GUARD_SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static uintptr_t page_size = 4096;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	uintptr_t a = (uintptr_t)si->si_addr;
	for (size_t i = 0; i < SRC_GUARD_SLOTS; i++) {
		uintptr_t st = slots[i].start;
		if (st && a >= st && a < slots[i].end) {
			uint8_t *page = (uint8_t *)si->si_addr - (a & (page_size - 1));
			/* Zeros in place of the page that is gone; the read then goes on. */
			if (mmap(page, page_size, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0) != MAP_FAILED) {
				*slots[i].changed = 1;
				return;
			}
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void guard_install(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	if (ps > 0)
		page_size = (uintptr_t)ps;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

static int guard_add(hv_source *s)
{
	pthread_once(&guard_once, guard_install);
	int slot = -1;
	pthread_mutex_lock(&slots_mu);
	for (int i = 0; i < SRC_GUARD_SLOTS && slot < 0; i++) {
		if (!slots[i].start) {
			slots[i].end = (uintptr_t)s->data + s->size;
			slots[i].changed = &s->changed;
			slots[i].start = (uintptr_t)s->data;
			slot = i;
		}
	}
	pthread_mutex_unlock(&slots_mu);
	return slot;
}

static void guard_remove(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&slots_mu);
	slots[slot].start = 0;
	pthread_mutex_unlock(&slots_mu);
}

/* ---- opening -------------------------------------------------------------------------- */

static hv_source *src_new(const char *name)
{
	hv_source *s = xcalloc(1, sizeof *s);
	s->name = xstrdup(name);
	s->fd = -1;
	s->guard = -1;
	return s;
}

/* Reads a small file whole, hashing it in the same pass. */
static hv_err read_whole(hv_source *s, hv_findings *f)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return HV_ERR_INTERNAL;
	}
	s->owned = xmalloc((size_t)s->size + 1);
	size_t got = 0;
	while (got < s->size) {
		long long r = hv_pread_full(s->fd, s->owned + got, (size_t)s->size - got, got);
		if (r < 0) {
			findings_add(f, HV_SEV_ERROR, s->name, got, "read failed: %s", strerror(errno));
			EVP_MD_CTX_free(md);
			return HV_ERR_IO;
		}
		if (r == 0) {
			s->changed = 1; /* shrank while read: what is there is what we read */
			break;
		}
		EVP_DigestUpdate(md, s->owned + got, (size_t)r);
		got += (size_t)r;
	}
	s->size = got;
	s->owned[got] = 0;
	s->data = s->owned;
	uint8_t dig[32];
	unsigned int dl = sizeof dig;
	EVP_DigestFinal_ex(md, dig, &dl);
	EVP_MD_CTX_free(md);
	hv_sha256_hex(dig, s->sha256);
	s->hashed = true;
	return HV_OK;
}

static hv_err map_file(hv_source *s, hv_findings *f)
{
	void *p = mmap(NULL, (size_t)s->size, PROT_READ, MAP_SHARED, s->fd, 0);
	if (p == MAP_FAILED) {
		findings_add(f, HV_SEV_ERROR, s->name, HV_NO_OFFSET, "cannot map the file: %s",
			     strerror(errno));
		return HV_ERR_IO;
	}
	s->data = p;
	s->mapped = true;
	s->guard = guard_add(s);
	return HV_OK;
}

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

hv_err src_open(const char *path, const char *display, int flags, hv_source **out,
		hv_findings *f)
{
	*out = NULL;
	hv_source *s = src_new(display ? display : path);
	int of = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	if (flags & SRC_NOFOLLOW)
		of |= O_NOFOLLOW;
	/* O_NOATIME is allowed only to the file's owner or root. */
	s->fd = open(path, of | O_NOATIME);
	if (s->fd < 0 && errno == EPERM)
		s->fd = open(path, of);
	if (s->fd < 0) {
		findings_add(f, HV_SEV_ERROR, s->name, HV_NO_OFFSET, "cannot open: %s",
			     errno == ELOOP ? "is a symbolic link (not followed)" : strerror(errno));
		src_close(s);
		return HV_ERR_IO;
	}
	struct stat st;
	if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		findings_add(f, HV_SEV_ERROR, s->name, HV_NO_OFFSET, "not read: %s",
			     fstat(s->fd, &st) == 0 ? kind_of(st.st_mode) : strerror(errno));
		src_close(s);
		return HV_ERR_IO;
	}
	s->size = (uint64_t)st.st_size;
	hv_err rc = s->size <= SRC_READ_MAX ? read_whole(s, f) : s->size > SIZE_MAX / 2 ?
		    HV_ERR_LIMIT : map_file(s, f);
	if (rc == HV_ERR_LIMIT)
		findings_add(f, HV_SEV_ERROR, s->name, HV_NO_OFFSET, "file too large to address");
	if (rc != HV_OK) {
		src_close(s);
		return rc;
	}
	*out = s;
	return HV_OK;
}

hv_source *src_mem(const char *display, const uint8_t *data, size_t len)
{
	hv_source *s = src_new(display);
	s->data = data;
	s->size = len;
	return s;
}

void src_close(hv_source *s)
{
	if (!s)
		return;
	if (s->mapped) {
		guard_remove(s->guard);
		munmap((void *)s->data, (size_t)s->size);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s->owned);
	free(s->name);
	free(s);
}

const char *src_name(const hv_source *s) { return s->name; }
uint64_t src_size(const hv_source *s) { return s->size; }
bool src_mapped(const hv_source *s) { return s->mapped; }
int src_fd(const hv_source *s) { return s->fd; }
bool src_changed(const hv_source *s) { return s->changed != 0; }
bool src_hashed(const hv_source *s) { return s->hashed; }

span_t src_span(const hv_source *s)
{
	return span_make(s->data, (size_t)s->size);
}

static void drop_pages(const hv_source *s, uint64_t from, uint64_t to)
{
	if (!s->mapped)
		return;
	uint64_t a = (from + page_size - 1) & ~((uint64_t)page_size - 1);
	uint64_t b = to & ~((uint64_t)page_size - 1);
	if (b > a)
		madvise((void *)(s->data + a), (size_t)(b - a), MADV_DONTNEED);
}

void src_release(hv_source *s)
{
	drop_pages(s, 0, s->size);
}

/* ---- sequential pass ------------------------------------------------------------------ */

static void hash_zeros(EVP_MD_CTX *md, uint64_t n)
{
	static const uint8_t zeros[ZERO_CHUNK];
	while (n) {
		size_t k = n > ZERO_CHUNK ? ZERO_CHUNK : (size_t)n;
		EVP_DigestUpdate(md, zeros, k);
		n -= k;
	}
}

/* The next data extent at or after pos: [*start, *end); false when only holes remain. */
static bool next_data(const hv_source *s, uint64_t pos, uint64_t *start, uint64_t *end)
{
	*start = pos;
	*end = s->size;
	if (!s->mapped || pos >= s->size)
		return pos < s->size;
	off_t d = lseek(s->fd, (off_t)pos, SEEK_DATA);
	if (d < 0)
		return errno != ENXIO; /* ENXIO: holes to the end; other errors: all data */
	off_t h = lseek(s->fd, d, SEEK_HOLE);
	*start = (uint64_t)d;
	if (h > d && (uint64_t)h < s->size)
		*end = (uint64_t)h;
	return *start < s->size;
}

hv_err src_stream(hv_source *s, size_t overlap, src_window_fn fn, void *ctx, hv_findings *f)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return HV_ERR_INTERNAL;
	}
	bool need = !s->hashed, stopped = false;
	uint64_t pos = 0, ds, de;
	while (!stopped && next_data(s, pos, &ds, &de)) {
		if (need)
			hash_zeros(md, ds - pos);
		for (pos = ds; pos < de && !stopped;) {
			size_t body = de - pos > SRC_WINDOW ? SRC_WINDOW : (size_t)(de - pos);
			size_t look = s->size - pos - body > overlap ? overlap
								      : (size_t)(s->size - pos - body);
			if (need)
				EVP_DigestUpdate(md, s->data + pos, body);
			if (fn && !fn(ctx, span_make(s->data + pos, body + look), pos, body))
				stopped = true;
			drop_pages(s, pos, pos + body);
			pos += body;
		}
	}
	if (need && !stopped && pos < s->size)
		hash_zeros(md, s->size - pos);
	if (need && !stopped) {
		uint8_t dig[32];
		unsigned int dl = sizeof dig;
		EVP_DigestFinal_ex(md, dig, &dl);
		hv_sha256_hex(dig, s->sha256);
		s->hashed = true;
	}
	EVP_MD_CTX_free(md);
	if (s->changed)
		findings_add(f, HV_SEV_ERROR, s->name, HV_NO_OFFSET,
			     "the file shrank or failed while it was read: missing bytes read as zeros");
	return HV_OK;
}

hv_err src_sha256(hv_source *s, char hex[65], hv_findings *f)
{
	if (!s->hashed) {
		hv_err rc = src_stream(s, 0, NULL, NULL, f);
		if (rc != HV_OK)
			return rc;
	}
	memcpy(hex, s->sha256, 65);
	return HV_OK;
}

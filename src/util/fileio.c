/* fileio.c - read-only evidence loading with SHA-256 in the same pass. */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/xalloc.h"

#ifndef O_NOATIME
#define O_NOATIME 0
#endif

int hv_open_ro(const char *path, int flags, hv_findings *f)
{
	/* O_NONBLOCK: a FIFO swapped in for the file never blocks the open. */
	int of = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (flags & HV_OPEN_NOFOLLOW)
		of |= O_NOFOLLOW;
	/* O_NOATIME (not even the access time changes) is allowed only to the
	 * file's owner or root; fall back to a plain read-only open. */
	int fd = open(path, of | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, of);
	if (fd < 0) {
		if (f)
			findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET, "cannot open: %s",
				     errno == ELOOP ? "is a symbolic link (not followed)"
						    : strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (f)
			findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET,
				     "not read: not a regular file");
		close(fd);
		return -1;
	}
	return fd;
}

long long hv_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long long)got;
}

void hv_sha256_hex(const uint8_t dig[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[dig[i] >> 4];
		out[2 * i + 1] = hx[dig[i] & 15];
	}
	out[64] = '\0';
}

void hv_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int dl = 32;
	if (!EVP_Digest(data, len, out, &dl, EVP_sha256(), NULL))
		memset(out, 0, 32);
}

void hv_blob_from_mem(hv_blob *out, const void *data, size_t len)
{
	out->data = xmemdup(data, len);
	out->len = len;
	hv_sha256(out->data, len, out->sha256);
	hv_sha256_hex(out->sha256, out->sha256_hex);
}

void hv_blob_free(hv_blob *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

hv_err hv_file_load(const char *path, size_t cap, int flags, hv_blob *out, hv_findings *f)
{
	memset(out, 0, sizeof *out);
	int fd = hv_open_ro(path, flags, f);
	if (fd < 0)
		return HV_ERR_IO;
	struct stat st;
	hv_err rc = HV_ERR_IO;
	EVP_MD_CTX *md = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET, "not a regular file");
		goto done;
	}
	if ((uint64_t)st.st_size > cap) {
		findings_add(f, HV_SEV_ERROR, path, HV_NO_OFFSET,
			     "file is %lld bytes, over the %zu-byte cap for files read whole",
			     (long long)st.st_size, cap);
		rc = HV_ERR_LIMIT;
		goto done;
	}
	size_t want = (size_t)st.st_size;
	out->data = xmalloc(want + 1);
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = HV_ERR_INTERNAL;
		goto done;
	}
	size_t got = 0;
	while (got < want) {
		size_t chunk = want - got > (1u << 20) ? (1u << 20) : want - got;
		long long r = hv_pread_full(fd, out->data + got, chunk, got);
		if (r < 0) {
			findings_add(f, HV_SEV_ERROR, path, got, "read failed: %s", strerror(errno));
			goto done;
		}
		if (r == 0)
			break; /* file shrank while we read it: take what is there */
		EVP_DigestUpdate(md, out->data + got, (size_t)r);
		got += (size_t)r;
	}
	out->len = got;
	out->data[got] = 0; /* convenience terminator, not part of len */
	unsigned int dl = 32;
	EVP_DigestFinal_ex(md, out->sha256, &dl);
	hv_sha256_hex(out->sha256, out->sha256_hex);
	rc = HV_OK;
done:
	EVP_MD_CTX_free(md);
	close(fd);
	if (rc != HV_OK)
		hv_blob_free(out);
	return rc;
}

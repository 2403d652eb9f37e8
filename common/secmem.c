/*
 * secmem.c — pages for secrets, kept out of core dumps and swap.
 *
 * A core dump of a service that crashed is a file anyone debugging it may
 * copy around; the secret that signs orders must not be in it. malloc'd
 * memory cannot be excluded (MADV_DONTDUMP works on whole mappings, and a
 * heap chunk shares its pages), so a secret gets an anonymous mapping of
 * its own. mlock keeps it out of swap when RLIMIT_MEMLOCK allows; it is
 * worth having, not worth failing for (a container may allow nothing).
 */
#include "secmem.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

static size_t
secmem_round(size_t len)
{
	size_t	pg = (size_t)sysconf(_SC_PAGESIZE);

	return len == 0 ? pg : (len + pg - 1) / pg * pg;
}

void *
secmem_alloc(size_t len)
{
	size_t	 n = secmem_round(len);
	void	*p;

	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		log_warn("%s: mmap", __func__);
		return NULL;
	}
	/* without it the secret would be in every core: refuse instead */
	if (madvise(p, n, MADV_DONTDUMP) == -1) {
		log_warn("%s: madvise MADV_DONTDUMP", __func__);
		munmap(p, n);
		return NULL;
	}
	(void)mlock(p, n);
	return p;
}

void
secmem_free(void *p, size_t len)
{
	size_t	n;

	if (p == NULL)
		return;
	n = secmem_round(len);
	explicit_bzero(p, n);
	(void)munlock(p, n);
	munmap(p, n);
}

int
secmem_is_dontdump(const void *p)
{
	char		 line[512];
	unsigned long	 lo, hi, a = (unsigned long)p;
	FILE		*fp;
	int		 in = 0, dd = 0;

	if ((fp = fopen("/proc/self/smaps", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* a mapping's first line: "lo-hi perms ..." */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			dd = strstr(line, " dd") != NULL;
			break;
		}
	}
	fclose(fp);
	return dd;
}

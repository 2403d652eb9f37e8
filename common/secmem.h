/*
 * secmem.h — memory for secrets (the API key and secret of a process that
 * signs): whole pages of their own, excluded from core dumps
 * (MADV_DONTDUMP), locked out of swap where the limit allows, wiped before
 * they are given back. Nothing else lives in them, so nothing else is lost
 * from a core.
 */
#ifndef PMM_SECMEM_H
#define PMM_SECMEM_H

#include <stddef.h>

/* len zeroed bytes (rounded up to whole pages), or NULL (logged). */
void	*secmem_alloc(size_t len);
/* Wipe and unmap what secmem_alloc(len) returned; NULL is a no-op. */
void	 secmem_free(void *p, size_t len);
/* 1 if the pages at p are excluded from core dumps ("dd" in smaps). */
int	 secmem_is_dontdump(const void *p);

#endif

/*
 * bn_sign.h — Binance request signatures: HMAC-SHA256 over the exact bytes
 * of query string + body, as 64 lowercase hex digits.
 *
 * Shared by the bot's REST client (which signs) and pmm-exchange (which
 * verifies). The secret is only ever passed in, never stored or logged.
 */
#ifndef PMM_BN_SIGN_H
#define PMM_BN_SIGN_H

#include <stddef.h>

#define BN_SIG_HEXLEN	64	/* SHA-256 digest as hex, without NUL */

/*
 * Sign the concatenation of up to n parts (query string, then body: Binance
 * joins them with no '&'). out receives BN_SIG_HEXLEN digits and a NUL.
 * Returns 0, or -1 when the HMAC could not be computed.
 */
int	bn_sign_parts(const char *secret, const char *const parts[],
	    const size_t lens[], int n, char out[BN_SIG_HEXLEN + 1]);

/* One-part shorthand of bn_sign_parts(). */
int	bn_sign_hex(const char *secret, const char *msg, size_t len,
	    char out[BN_SIG_HEXLEN + 1]);

/*
 * 1 when sig (hex, either case, exactly 64 digits) is the signature of the
 * parts under secret, 0 when it is not or is malformed. The digests are
 * compared in constant time so the check leaks nothing about the secret.
 */
int	bn_sign_verify_parts(const char *secret, const char *const parts[],
	    const size_t lens[], int n, const char *sig);
int	bn_sign_verify(const char *secret, const char *msg, size_t len,
	    const char *sig);

#endif

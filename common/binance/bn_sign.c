/*
 * bn_sign.c — HMAC-SHA256 signing and verification for Binance requests,
 * on OpenSSL 3's EVP_MAC so the query string and the body can be fed in
 * turn without building their concatenation.
 */
#include "bn_sign.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"

/* Raw 32-byte digest of the concatenated parts; 0 or -1. */
static int
bn_hmac(const char *secret, const char *const parts[], const size_t lens[],
    int n, unsigned char md[32])
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx = NULL;
	OSSL_PARAM	 params[2];
	size_t		 mdlen = 0;
	int		 i, rc = -1;

	if (secret == NULL || n < 0)
		return -1;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL) {
		log_warnx("%s: HMAC not available", __func__);
		return -1;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    !EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
	    params))
		goto out;
	for (i = 0; i < n; i++)
		if (lens[i] > 0 && !EVP_MAC_update(ctx,
		    (const unsigned char *)parts[i], lens[i]))
			goto out;
	if (!EVP_MAC_final(ctx, md, &mdlen, 32) || mdlen != 32)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		log_warnx("%s: HMAC-SHA256 failed", __func__);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int
bn_sign_parts(const char *secret, const char *const parts[],
    const size_t lens[], int n, char out[BN_SIG_HEXLEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 md[32];
	int		 i;

	out[0] = '\0';
	if (bn_hmac(secret, parts, lens, n, md) == -1)
		return -1;
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[BN_SIG_HEXLEN] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
bn_sign_hex(const char *secret, const char *msg, size_t len,
    char out[BN_SIG_HEXLEN + 1])
{
	const char	*parts[1] = { msg };
	size_t		 lens[1] = { len };

	return bn_sign_parts(secret, parts, lens, 1, out);
}

static int
bn_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
bn_sign_verify_parts(const char *secret, const char *const parts[],
    const size_t lens[], int n, const char *sig)
{
	unsigned char	 want[32], got[32];
	int		 i, hi, lo, ok;

	if (sig == NULL || strlen(sig) != BN_SIG_HEXLEN)
		return 0;
	for (i = 0; i < 32; i++) {
		hi = bn_hexval(sig[2 * i]);
		lo = bn_hexval(sig[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (bn_hmac(secret, parts, lens, n, want) == -1)
		return 0;
	ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

int
bn_sign_verify(const char *secret, const char *msg, size_t len,
    const char *sig)
{
	const char	*parts[1] = { msg };
	size_t		 lens[1] = { len };

	return bn_sign_verify_parts(secret, parts, lens, 1, sig);
}

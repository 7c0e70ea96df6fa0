#ifndef PADLOCK_COPENSSL_SHIM_H
#define PADLOCK_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* OpenSSL spells several calls as macros over SSL_CTX_ctrl / BIO_ctrl, which Swift cannot import. These
   wrappers give them function shapes. Only the EventLoop module calls them. */

/* Refuses every protocol version older than TLS 1.2. Returns 1 on success. */
static inline int padlock_ssl_ctx_require_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

/* Lets SSL_write accept a new buffer after a partial write, releases idle record buffers, and refuses
   TLS 1.2 renegotiation (which Padlock never needs, and which a peer could use to make us work). */
static inline void padlock_ssl_ctx_set_modes(SSL_CTX *context) {
    SSL_CTX_set_mode(context, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION);
}

/* Bytes waiting in a memory BIO. */
static inline size_t padlock_bio_pending(BIO *bio) {
    return (size_t)BIO_ctrl_pending(bio);
}

/* Makes the client check that the server's certificate names `name` (an IP address or a DNS name) and,
   for a DNS name, sends it as SNI. Returns 1 on success. */
static inline int padlock_ssl_expect_server_name(SSL *ssl, const char *name) {
    X509_VERIFY_PARAM *parameters = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(parameters, name) == 1) {
        return 1;
    }
    ERR_clear_error();
    if (SSL_set1_host(ssl, name) != 1) {
        return 0;
    }
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/* The oldest queued OpenSSL error as text ("error:0A000086:SSL routines::certificate verify failed"),
   written to `buffer`; the whole queue is cleared. Returns 0 when the queue was empty. */
static inline unsigned long padlock_ssl_take_error(char *buffer, size_t length) {
    unsigned long code = ERR_get_error();
    if (code != 0) {
        ERR_error_string_n(code, buffer, length);
    }
    ERR_clear_error();
    return code;
}

#endif

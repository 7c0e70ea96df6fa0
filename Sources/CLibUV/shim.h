#ifndef PADLOCK_CLIBUV_SHIM_H
#define PADLOCK_CLIBUV_SHIM_H
#include <uv.h>
#include <string.h>
#include <netinet/in.h>

/* Small helpers for the few libuv spots that take sockaddr unions or casts that read badly from Swift.
   Only the EventLoop module calls them. Each returns a libuv status code (0 or a negative UV_E*). */

/* Fills `storage` with an IPv4 or IPv6 address for `host` (a numeric address, no name lookup). */
static inline int padlock_make_address(const char *host, int port, struct sockaddr_storage *storage) {
    memset(storage, 0, sizeof(*storage));
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)storage) == 0) {
        return 0;
    }
    return uv_ip6_addr(host, port, (struct sockaddr_in6 *)storage);
}

static inline int padlock_tcp_bind(uv_tcp_t *handle, const char *host, int port) {
    struct sockaddr_storage storage;
    int status = padlock_make_address(host, port, &storage);
    if (status != 0) {
        return status;
    }
    return uv_tcp_bind(handle, (const struct sockaddr *)&storage, 0);
}

static inline int padlock_tcp_connect(uv_connect_t *request, uv_tcp_t *handle, const char *host, int port,
                                      uv_connect_cb callback) {
    struct sockaddr_storage storage;
    int status = padlock_make_address(host, port, &storage);
    if (status != 0) {
        return status;
    }
    return uv_tcp_connect(request, handle, (const struct sockaddr *)&storage, callback);
}

/* The address `name` (uv_tcp_getsockname or uv_tcp_getpeername) gives for `handle`, in `storage`; 0 or a
   negative status code. */
static inline int padlock_tcp_address(const uv_tcp_t *handle,
                                      int (*name)(const uv_tcp_t *, struct sockaddr *, int *),
                                      struct sockaddr_storage *storage) {
    int length = (int)sizeof(*storage);
    return name(handle, (struct sockaddr *)storage, &length);
}

/* The local port a bound TCP handle listens on, or a negative status code. */
static inline int padlock_tcp_local_port(const uv_tcp_t *handle) {
    struct sockaddr_storage storage;
    int status = padlock_tcp_address(handle, uv_tcp_getsockname, &storage);
    if (status != 0) {
        return status;
    }
    if (storage.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&storage)->sin_port);
    }
    return ntohs(((struct sockaddr_in6 *)&storage)->sin6_port);
}

/* The numeric host (no port) at the other end of a connected TCP handle, written into `text` (at least
   INET6_ADDRSTRLEN bytes); 0 or a negative status code. */
static inline int padlock_tcp_peer_host(const uv_tcp_t *handle, char *text, size_t size) {
    struct sockaddr_storage storage;
    int status = padlock_tcp_address(handle, uv_tcp_getpeername, &storage);
    if (status != 0) {
        return status;
    }
    if (storage.ss_family == AF_INET) {
        return uv_ip4_name((const struct sockaddr_in *)&storage, text, size);
    }
    return uv_ip6_name((const struct sockaddr_in6 *)&storage, text, size);
}

/* Names the calling thread (Linux keeps the first 15 bytes); a no-op elsewhere. */
#if defined(__linux__)
#include <pthread.h>
extern int pthread_setname_np(pthread_t thread, const char *name);
static inline void padlock_name_current_thread(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof(truncated) - 1);
    truncated[sizeof(truncated) - 1] = 0;
    (void)pthread_setname_np(pthread_self(), truncated);
}
#else
static inline void padlock_name_current_thread(const char *name) { (void)name; }
#endif

/* The stream a write request was issued on. */
static inline uv_stream_t *padlock_write_stream(const uv_write_t *request) {
    return request->handle;
}

#endif

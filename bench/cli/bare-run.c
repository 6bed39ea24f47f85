/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * bare-run: the bus calls `procctl run -- CMD...` makes, written with
 * nothing but libc, as a measuring stick: what any client, however lean,
 * pays here for the bus and the daemon.
 *
 *   bare-run unix:path=SOCKET[,...] CMD...
 *
 * It is not part of procctl and must not become so: the project speaks
 * D-Bus through sd-bus.  This is a lower bound, not an alternative; it
 * writes only the five messages it needs (Hello, Spawn with stdin, stdout
 * and stderr and kill-on-disconnect, Wait, Release) and reads only the
 * replies to them.  It even does better than sd-bus can by sending Spawn
 * right behind Hello instead of waiting for Hello's reply (sd-bus waits,
 * because a message carrying descriptors must know the connection is
 * running).  No signals forwarded, no terminal, no error but a message.
 *
 * Exits like a shell: the command's code, 128+N if killed by signal N.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MANAGER_NAME "org.procctl.Manager1"
#define MANAGER_PATH "/org/procctl/Manager1"

/* Little-endian D-Bus marshalling of the few types these messages use.
 * Offsets are from the start of the message part being written (header
 * or body), each of which starts 8-aligned, as the format requires. */
typedef struct {
        uint8_t data[16384];
        size_t size;
} Buffer;

static void die(const char *what) {
        fprintf(stderr, "bare-run: %s\n", what);
        exit(2);
}

static void put(Buffer *b, const void *p, size_t n) {
        if (b->size + n > sizeof(b->data))
                die("message too large");
        memcpy(b->data + b->size, p, n);
        b->size += n;
}

static void align(Buffer *b, size_t a) {
        static const uint8_t zero[8];
        put(b, zero, (a - b->size % a) % a);
}

static void put_byte(Buffer *b, uint8_t v) {
        put(b, &v, 1);
}

static void put_u32(Buffer *b, uint32_t v) {
        align(b, 4);
        put(b, &v, 4);
}

/* An array: its length word, then its elements from the first aligned
 * offset on; the length counts the elements only. */
typedef struct {
        size_t length_at, elements_at;
} Array;

static Array array_begin(Buffer *b, size_t element_alignment) {
        Array a;

        put_u32(b, 0);
        a.length_at = b->size - 4;
        align(b, element_alignment);
        a.elements_at = b->size;
        return a;
}

static void array_end(Buffer *b, Array a) {
        uint32_t n = (uint32_t) (b->size - a.elements_at);

        memcpy(b->data + a.length_at, &n, 4);
}

static void put_string(Buffer *b, const char *s) {
        put_u32(b, (uint32_t) strlen(s));
        put(b, s, strlen(s) + 1);
}

static void put_signature(Buffer *b, const char *s) {
        put_byte(b, (uint8_t) strlen(s));
        put(b, s, strlen(s) + 1);
}

static void put_field(Buffer *b, uint8_t code, const char *type, const void *value) {
        align(b, 8);
        put_byte(b, code);
        put_signature(b, type);
        if (type[0] == 'u')
                put_u32(b, *(const uint32_t *) value);
        else if (type[0] == 'g')
                put_signature(b, value);
        else
                put_string(b, value);
}

/* A whole method call message; flags 1 = no reply expected. */
static void method_call(Buffer *out, uint32_t serial, uint8_t flags, const char *destination, const char *path,
                        const char *interface, const char *member, const char *signature,
                        const Buffer *body, uint32_t n_fds) {
        Buffer h = {};
        uint32_t body_size = body ? (uint32_t) body->size : 0;
        size_t fields;

        put_byte(&h, 'l');
        put_byte(&h, 1);  /* method call */
        put_byte(&h, flags);
        put_byte(&h, 1);  /* protocol version */
        put_u32(&h, body_size);
        put_u32(&h, serial);
        put_u32(&h, 0);
        fields = h.size;
        put_field(&h, 1, "o", path);
        put_field(&h, 2, "s", interface);
        put_field(&h, 3, "s", member);
        put_field(&h, 6, "s", destination);
        if (signature)
                put_field(&h, 8, "g", signature);
        if (n_fds > 0)
                put_field(&h, 9, "u", &n_fds);
        fields = h.size - fields;  /* the header fields array's length */
        memcpy(h.data + 12, &(uint32_t) { (uint32_t) fields }, 4);
        align(&h, 8);

        out->size = 0;
        put(out, h.data, h.size);
        if (body)
                put(out, body->data, body->size);
}

/* Incoming messages, read whole into one buffer. */
static int bus_fd;
static uint8_t in[1 << 20];
static size_t in_size;

static uint32_t get_u32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
}

static size_t pad8(size_t n) {
        return (n + 7) & ~(size_t) 7;
}

/* The length of the first message in `in`, reading until it is whole. */
static size_t next_message(void) {
        for (;;) {
                if (in_size >= 16) {
                        size_t total;

                        if (in[0] != 'l')
                                die("big-endian message: not handled here");
                        total = pad8(16 + (size_t) get_u32(in + 12)) + get_u32(in + 4);
                        if (total > sizeof(in))
                                die("incoming message too large");
                        if (in_size >= total)
                                return total;
                }
                ssize_t n = read(bus_fd, in + in_size, sizeof(in) - in_size);
                if (n <= 0)
                        die("the bus closed the connection");
                in_size += (size_t) n;
        }
}

static void drop_message(size_t size) {
        memmove(in, in + size, in_size - size);
        in_size -= size;
}

/* Skips messages until the reply (or error) to `serial`; returns its
 * body's offset in `in` and sets *is_error and *size. */
static size_t wait_for_reply(uint32_t serial, int *is_error, size_t *size) {
        for (;;) {
                size_t n = next_message(), o = 16, end = 16 + get_u32(in + 12);
                uint32_t reply_serial = 0;

                while (o < end) {
                        uint8_t code;
                        char type;

                        /* code, then a one-letter signature: length, letter, NUL */
                        o = pad8(o);
                        if (o + 4 > end || in[o + 1] != 1)
                                die("bad header field");
                        code = in[o];
                        type = (char) in[o + 2];
                        o += 4;
                        if (type == 'u' || type == 's' || type == 'o')
                                o = (o + 3) & ~(size_t) 3;
                        if (o + 4 > end && type != 'g')
                                die("bad header field");
                        if (type == 'u') {
                                if (code == 5)
                                        reply_serial = get_u32(in + o);
                                o += 4;
                        } else if (type == 's' || type == 'o')
                                o += 4 + (size_t) get_u32(in + o) + 1;
                        else if (type == 'g')
                                o += 1 + (size_t) in[o] + 1;
                        else
                                die("unexpected header field type");
                        if (o > end)
                                die("bad header field");
                }
                if (reply_serial == serial && (in[1] == 2 || in[1] == 3)) {
                        *is_error = in[1] == 3;
                        *size = n;
                        return pad8(end);
                }
                drop_message(n);  /* NameAcquired, Hello's reply */
        }
}

/* A string at the start of a body, checked to lie inside the message. */
static const char *body_string(size_t body, size_t size) {
        if (body + 4 > size || body + 4 + (size_t) get_u32(in + body) + 1 > size)
                die("short reply");
        return (const char *) in + body + 4;
}

static void send_all(const Buffer *m, const int *fds, size_t n_fds) {
        char control[CMSG_SPACE(3 * sizeof(int))] = {};
        struct iovec iov = { .iov_base = (void *) m->data, .iov_len = m->size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (n_fds > 0) {
                struct cmsghdr *c;

                mh.msg_control = control;
                mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
                memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
        }
        if (sendmsg(bus_fd, &mh, MSG_NOSIGNAL) != (ssize_t) m->size)
                die("cannot write to the bus");
}

static void connect_and_authenticate(const char *address) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = strstr(address, "unix:path=");
        char auth[128], reply[512], uid[16];
        size_t len, got = 0;
        int n;

        if (!path)
                die("only unix:path= addresses are handled");
        path += strlen("unix:path=");
        len = strcspn(path, ",");
        if (len >= sizeof(sa.sun_path))
                die("socket path too long");
        memcpy(sa.sun_path, path, len);

        bus_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (bus_fd < 0 || connect(bus_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                die("cannot connect to the bus");

        /* EXTERNAL with our uid in hex-encoded decimal, as the spec has it. */
        snprintf(uid, sizeof(uid), "%u", (unsigned) getuid());
        n = snprintf(auth, sizeof(auth), "%cAUTH EXTERNAL ", 0);
        for (const char *u = uid; *u; u++)
                n += snprintf(auth + n, sizeof(auth) - (size_t) n, "%02x", (unsigned char) *u);
        n += snprintf(auth + n, sizeof(auth) - (size_t) n, "\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n");
        if (write(bus_fd, auth, (size_t) n) != n)
                die("cannot write to the bus");

        /* "OK <guid>\r\n" then "AGREE_UNIX_FD\r\n": messages start after. */
        while (!memmem(reply, got, "AGREE_UNIX_FD\r\n", 15)) {
                ssize_t k = read(bus_fd, reply + got, sizeof(reply) - got);

                if (k <= 0 || memmem(reply, got + (size_t) k, "ERROR", 5))
                        die("authentication failed");
                got += (size_t) k;
        }
}

int main(int argc, char *argv[]) {
        static const char *const stdio_keys[] = { "stdin", "stdout", "stderr" };
        static const int stdio_fds[] = { 0, 1, 2 };
        Buffer m, body;
        size_t reply, size, status_at;
        Array args, options;
        const char *reason;
        char path[256];
        uint32_t one = 1;
        int is_error, status;

        if (argc < 3) {
                fprintf(stderr, "Usage: bare-run ADDRESS CMD...\n");
                return 2;
        }
        connect_and_authenticate(argv[1]);

        /* Hello, and Spawn right behind it: the bus handles them in order. */
        method_call(&m, 1, 0, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                    "Hello", NULL, NULL, 0);
        send_all(&m, NULL, 0);

        body.size = 0;
        args = array_begin(&body, 4);
        for (int i = 2; i < argc; i++)
                put_string(&body, argv[i]);
        array_end(&body, args);
        options = array_begin(&body, 8);
        for (size_t i = 0; i < 3; i++) {
                align(&body, 8);
                put_string(&body, stdio_keys[i]);
                put_signature(&body, "h");
                put_u32(&body, (uint32_t) i);  /* index into the message's descriptors */
        }
        align(&body, 8);
        put_string(&body, "kill-on-disconnect");
        put_signature(&body, "b");
        put_u32(&body, one);
        array_end(&body, options);
        method_call(&m, 2, 0, MANAGER_NAME, MANAGER_PATH, MANAGER_NAME, "Spawn", "asa{sv}", &body, 3);
        send_all(&m, stdio_fds, 3);

        reply = wait_for_reply(2, &is_error, &size);
        if (is_error) {
                fprintf(stderr, "bare-run: Spawn failed: %s\n", body_string(reply, size));
                return 127;
        }
        snprintf(path, sizeof(path), "%s", body_string(reply, size));
        drop_message(size);

        body.size = 0;
        put_string(&body, path);
        method_call(&m, 3, 0, MANAGER_NAME, MANAGER_PATH, MANAGER_NAME, "Wait", "o", &body, 0);
        send_all(&m, NULL, 0);
        reply = wait_for_reply(3, &is_error, &size);
        if (is_error)
                die("Wait failed");
        reason = body_string(reply, size);
        status_at = (reply + 4 + strlen(reason) + 1 + 3) & ~(size_t) 3;
        if (status_at + 4 > size)
                die("short reply");
        status = (int) get_u32(in + status_at);

        method_call(&m, 4, 1, MANAGER_NAME, MANAGER_PATH, MANAGER_NAME, "Release", "o", &body, 0);
        send_all(&m, NULL, 0);
        close(bus_fd);
        return strcmp(reason, "exited") == 0 ? status : 128 + status;
}

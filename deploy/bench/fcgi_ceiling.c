/* The FastCGI ceiling: the fastest any libfcgi backend behind this nginx
 * can answer. Same library, same thread count, same accept loop as
 * AuthGate, a fixed JSON page of a given size, no work at all.
 *   fcgi_ceiling ADDRESS THREADS BODY_BYTES */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int listen_fd;
static char *response;
static int response_len;

static void *worker(void *arg) {
    (void)arg;
    FCGX_Request req;
    FCGX_InitRequest(&req, listen_fd, 0);
    while (FCGX_Accept_r(&req) >= 0) {
        FCGX_PutStr(response, response_len, req.out);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s ADDRESS THREADS BODY_BYTES\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[2]);
    int body_len = atoi(argv[3]);
    if (threads < 1 || body_len < 2) return 2;
    FCGX_Init();
    listen_fd = FCGX_OpenSocket(argv[1], 1024);
    if (listen_fd < 0) return 1;
    char head[160];
    int head_len = snprintf(head, sizeof head,
        "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", body_len);
    response = malloc(head_len + body_len);
    memcpy(response, head, head_len);
    /* {"pad":"xxxx..."} padded to exactly body_len bytes */
    char *body = response + head_len;
    memset(body, 'x', body_len);
    if (body_len >= 12) {
        memcpy(body, "{\"pad\":\"", 8);
        memcpy(body + body_len - 2, "\"}", 2);
    }
    response_len = head_len + body_len;
    pthread_t *ids = calloc(threads, sizeof *ids);
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    return 0;
}

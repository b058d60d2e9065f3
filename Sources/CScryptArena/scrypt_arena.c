/* See scrypt_arena.h. Only allocations of at least BIG bytes are kept; at
 * most one per concurrent hash, and AuthGate runs one hash per core. Every
 * other allocation goes straight to malloc. OpenSSL clears scrypt's buffer
 * before freeing it (OPENSSL_clear_free), so a kept buffer holds no secret. */
#include "scrypt_arena.h"

#include <malloc.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64
#define BIG ((size_t)8 << 20)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct { void *ptr; size_t size; int busy; } slots[SLOTS];

static void *arena_malloc(size_t n, const char *file, int line) {
    (void)file; (void)line;
    if (n < BIG) return malloc(n);
    pthread_mutex_lock(&lock);
    int empty = -1;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].ptr && !slots[i].busy && slots[i].size >= n) {
            slots[i].busy = 1;
            pthread_mutex_unlock(&lock);
            return slots[i].ptr;
        }
        if (!slots[i].ptr && empty < 0) empty = i;
    }
    void *p = malloc(n);
    if (p && empty >= 0) {
        slots[empty].ptr = p;
        slots[empty].size = n;
        slots[empty].busy = 1;
    }
    pthread_mutex_unlock(&lock);
    return p;
}

/* 1 if p was a kept buffer (now free for the next hash). */
static int release_slot(void *p) {
    int kept = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].ptr == p) {
            slots[i].busy = 0;
            kept = 1;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return kept;
}

static void arena_free(void *p, const char *file, int line) {
    (void)file; (void)line;
    if (!p) return;
    /* Small blocks never sit in a slot: no lock on the common path. */
    if (malloc_usable_size(p) >= BIG && release_slot(p)) return;
    free(p);
}

static void *arena_realloc(void *p, size_t n, const char *file, int line) {
    if (p && malloc_usable_size(p) >= BIG) {
        void *q = arena_malloc(n, file, line);
        if (!q) return NULL;
        size_t old = malloc_usable_size(p);
        memcpy(q, p, old < n ? old : n);
        arena_free(p, file, line);
        return q;
    }
    if (n >= BIG) {
        void *q = arena_malloc(n, file, line);
        if (!q) return NULL;
        if (p) {
            size_t old = malloc_usable_size(p);
            memcpy(q, p, old < n ? old : n);
            free(p);
        }
        return q;
    }
    return realloc(p, n);
}

int authgate_scrypt_arena_install(void) {
    return CRYPTO_set_mem_functions(arena_malloc, arena_realloc, arena_free);
}

void authgate_scrypt_arena_trim(void) {
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].ptr && !slots[i].busy) {
            free(slots[i].ptr);
            slots[i].ptr = NULL;
            slots[i].size = 0;
        }
    }
    pthread_mutex_unlock(&lock);
}

unsigned long authgate_scrypt_arena_bytes(void) {
    unsigned long total = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++) total += slots[i].ptr ? slots[i].size : 0;
    pthread_mutex_unlock(&lock);
    return total;
}

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

/* Under AddressSanitizer a kept buffer is poisoned while no hash holds it,
 * and past the size asked for while one does: ASan sees into the arena as
 * it would into malloc (a use after release or an overflow is reported),
 * instead of the arena hiding both behind a block that is never freed.
 * Without ASan these macros do nothing. */
#if defined(__has_include) && __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#define SLOTS 64
#define BIG ((size_t)8 << 20)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* size: the block's; used: what the hash holding it asked for. */
static struct { void *ptr; size_t size; size_t used; int busy; } slots[SLOTS];

/* Hands slot i to a hash asking for n bytes; with the lock held. */
static void *take_slot(int i, size_t n) {
    slots[i].busy = 1;
    slots[i].used = n;
    ASAN_UNPOISON_MEMORY_REGION(slots[i].ptr, n);
    ASAN_POISON_MEMORY_REGION((char *)slots[i].ptr + n, slots[i].size - n);
    return slots[i].ptr;
}

static void *arena_malloc(size_t n, const char *file, int line) {
    (void)file; (void)line;
    if (n < BIG) return malloc(n);
    pthread_mutex_lock(&lock);
    int empty = -1;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].ptr && !slots[i].busy && slots[i].size >= n) {
            void *p = take_slot(i, n);
            pthread_mutex_unlock(&lock);
            return p;
        }
        if (!slots[i].ptr && empty < 0) empty = i;
    }
    void *p = malloc(n);
    if (p && empty >= 0) {
        slots[empty].ptr = p;
        slots[empty].size = n;
        take_slot(empty, n);
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
            ASAN_POISON_MEMORY_REGION(p, slots[i].size);
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

/* The bytes of p its holder may use: what it asked for when p is a kept
 * buffer (the rest is poisoned under ASan), else the whole block. */
static size_t usable_size(void *p) {
    size_t size = malloc_usable_size(p);
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].ptr == p) {
            size = slots[i].used;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return size;
}

static void *arena_realloc(void *p, size_t n, const char *file, int line) {
    if (p && malloc_usable_size(p) >= BIG) {
        void *q = arena_malloc(n, file, line);
        if (!q) return NULL;
        size_t old = usable_size(p);
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
            ASAN_UNPOISON_MEMORY_REGION(slots[i].ptr, slots[i].size);
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

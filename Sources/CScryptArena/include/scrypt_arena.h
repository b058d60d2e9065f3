#ifndef AUTHGATE_SCRYPT_ARENA_H
#define AUTHGATE_SCRYPT_ARENA_H

/* Keeps OpenSSL's large scrypt working buffers (32 MiB for N=32768, r=8)
 * between hashes instead of mapping and faulting in fresh zeroed pages
 * every time (measured: 75 ms -> 60 ms per hash here). Install before any
 * other OpenSSL call; returns 1 on success. */
int authgate_scrypt_arena_install(void);

/* Returns the kept buffers that no hash is using to the system. */
void authgate_scrypt_arena_trim(void);

/* Bytes held in kept buffers right now. */
unsigned long authgate_scrypt_arena_bytes(void);

#endif

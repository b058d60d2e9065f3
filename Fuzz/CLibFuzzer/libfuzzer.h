// libFuzzer's entry for a program with its own main (compiler-rt's
// FuzzerInterface.h). Only the fuzz build (-DFUZZING, -sanitize=fuzzer)
// calls it, so a normal build never needs the symbol.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

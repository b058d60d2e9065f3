// ICU's C API, for Unicode's NFKC_Casefold (usernames compared as people
// read them: docs/registration.md). ICU renames every function with its
// version (unorm2_getNFKCCasefoldInstance_72) through macros Swift cannot
// call, so the wrappers below expand them here.
#include <unicode/unorm2.h>

static inline const UNormalizer2 *authgate_nfkc_casefold(UErrorCode *status) {
    return unorm2_getNFKCCasefoldInstance(status);
}

static inline int32_t authgate_normalize(const UNormalizer2 *n, const UChar *src, int32_t length,
                                         UChar *dest, int32_t capacity, UErrorCode *status) {
    return unorm2_normalize(n, src, length, dest, capacity, status);
}

static inline int authgate_icu_failed(UErrorCode status) { return U_FAILURE(status); }

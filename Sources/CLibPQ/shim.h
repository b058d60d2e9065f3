// libpq lives in /usr/include/postgresql on Debian; pkg-config adds that path.
#include <libpq-fe.h>

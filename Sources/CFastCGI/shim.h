// libfcgi's re-entrant API (fcgiapp.h). Nothing here needs a wrapper:
// every call Swift makes is a plain function.
#include <fcgiapp.h>

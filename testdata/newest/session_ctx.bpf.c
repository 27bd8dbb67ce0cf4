/* Session kfuncs taking the context (7.x). */
#define SESSION_CTX
#include "session.h"

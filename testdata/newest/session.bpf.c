/* Session kfuncs without arguments (6.10 - 6.x). */
#include "session.h"

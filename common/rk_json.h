/* rk_json.h - the one JSON string writer every report and `--json` output
 * uses: quotes, backslashes and control characters escaped; NULL prints "". */
#ifndef RK_JSON_H
#define RK_JSON_H

#include <stdio.h>

void rk_json_put_str(FILE *f, const char *s);

#endif

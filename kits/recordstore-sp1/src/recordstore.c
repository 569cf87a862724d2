/*
 * recordstore.c (service pack 1) -- recordstore version 1.1, whose
 * database is format 2 ("RECORDSTORE 2" header, then id, length and text
 * per record).  The program is the one of kits/recordstore built with the
 * newer format; recordstore-upgrade.c converts a 1.0 database.
 */
#define RS_FORMAT 2
#define RS_VERSION "1.1"
#include "../../recordstore/src/recordstore.c"

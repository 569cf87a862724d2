/*
 * mailserver.c (service pack 1) -- mailserver version 1.1, whose mail
 * store is layout 2 (STORE/DOMAIN/USER/Maildir).  The program is the one of
 * kits/mailserver built with the newer layout; its `upgrade` command (the
 * kit's upgrade step) converts a 1.0 store (docs/MAIL.md).
 */
#define MS_LAYOUT 2
#define MS_VERSION "1.1"
#include "../../mailserver/src/mailserver.c"

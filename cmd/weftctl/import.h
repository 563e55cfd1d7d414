/* weftctl import (cmd/weftctl/import.c): argv from the word "import" on. */
#ifndef WEFTCTL_IMPORT_H
#define WEFTCTL_IMPORT_H

int weftctl_import(int argc, char **argv);

#endif

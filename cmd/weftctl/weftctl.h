/* Parts of the weftctl program shared by its files: the usage error, the
 * command names (for completion), settings from flags, environment and
 * ~/.config/weft/config, and the completion scripts. */
#ifndef WEFTCTL_H
#define WEFTCTL_H

#include <stddef.h>
#include <stdio.h>

#include "client.h"

typedef struct wctl_cmd wctl_cmd;

/* "weftctl: MESSAGE (usage: weftctl CMD SYNOPSIS; see weftctl --help)" on
 * one line; fmt takes one %s (arg). Returns WCTL_USAGE. cmd may be NULL. */
int weftctl_usage(const wctl_cmd *cmd, const char *fmt, const char *arg);
/* The command names in table order; their count. */
size_t weftctl_commands(const char **names, size_t max);

/* What the flags said; resolved against the environment and the config
 * file's context into a wctl_opts. */
typedef struct weftctl_settings {
	const char *server, *token, *token_file, *cacert, *context;
	char *owned[3];           /* token, CA path, config path: freed by _free */
	struct weft_docset *docs; /* the parsed config file, holding its strings */
} weftctl_settings;

/* Flags first, then WEFT_SERVER / WEFT_TOKEN / WEFT_TOKEN_FILE, then the
 * context (--context, WEFT_CONTEXT, or the file's current-context) of
 * WEFT_CONFIG or ~/.config/weft/config. 0, or -1 after printing the
 * problem (a bad config file: file:line:col; an unknown context). */
int weftctl_settings_resolve(weftctl_settings *st, wctl_opts *o);
void weftctl_settings_free(weftctl_settings *st);

/* Prints the bash or zsh completion script. WCTL_OK. */
int weftctl_completion(const char *shell, FILE *out);

#endif

/* `weftctl completion bash|zsh`: a completion script made from the command
 * table (main.c), so that a new command completes without editing this
 * file. It completes commands, kinds (with their short names) after get,
 * and delete, -o formats, and file names after -f.
 * Install: `source <(weftctl completion bash)`, or for zsh
 * `weftctl completion zsh > "${fpath[1]}/_weftctl"`. */
#include <stdio.h>
#include <string.h>

#include "resource.h"
#include "weftctl.h"

static void print_words(FILE *out, int with_kinds)
{
	const char *names[64];
	size_t n = weftctl_commands(names, 64);
	if (!with_kinds) {
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s%s", i ? " " : "", names[i]);
		return;
	}
	for (int k = 0; k < WEFT_KIND_COUNT; k++) {
		char lower[64];
		snprintf(lower, sizeof(lower), "%s", weft_kind_name((weft_kind)k));
		for (char *p = lower; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		fprintf(out, "%s%s %s %s", k ? " " : "", lower, weft_kind_plural((weft_kind)k),
		        wctl_kind_short_name(k));
	}
}

static void bash(FILE *out)
{
	fputs("# bash completion for weftctl (weftctl completion bash)\n"
	      "_weftctl() {\n"
	      "  local cur prev cmd i\n"
	      "  cur=\"${COMP_WORDS[COMP_CWORD]}\"; prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
	      "  case \"$prev\" in\n"
	      "    -o|--output) COMPREPLY=($(compgen -W 'table wide json yaml name' -- \"$cur\")); "
	      "return;;\n"
	      "    -f|--filename|--cacert|--token-file) COMPREPLY=($(compgen -f -- \"$cur\")); "
	      "return;;\n"
	      "  esac\n"
	      "  for ((i=1; i<COMP_CWORD; i++)); do\n"
	      "    case \"${COMP_WORDS[i]}\" in -*) ;; *) cmd=\"${COMP_WORDS[i]}\"; break;; esac\n"
	      "  done\n"
	      "  if [ -z \"$cmd\" ]; then\n"
	      "    COMPREPLY=($(compgen -W '",
	      out);
	print_words(out, 0);
	fputs("' -- \"$cur\")); return\n"
	      "  fi\n"
	      "  case \"$cmd\" in\n"
	      "    get|delete) [ \"$prev\" = \"$cmd\" ] && COMPREPLY=($(compgen -W '",
	      out);
	print_words(out, 1);
	fputs("' -- \"$cur\"));;\n"
	      "    completion) COMPREPLY=($(compgen -W 'bash zsh' -- \"$cur\"));;\n"
	      "    validate) COMPREPLY=($(compgen -f -- \"$cur\"));;\n"
	      "  esac\n"
	      "}\n"
	      "complete -F _weftctl weftctl\n",
	      out);
}

static void zsh(FILE *out)
{
	fputs("#compdef weftctl\n"
	      "# zsh completion for weftctl (weftctl completion zsh)\n"
	      "_weftctl() {\n"
	      "  local -a cmds kinds\n"
	      "  cmds=(",
	      out);
	print_words(out, 0);
	fputs(")\n  kinds=(", out);
	print_words(out, 1);
	fputs(")\n"
	      "  case \"$words[CURRENT-1]\" in\n"
	      "    -o|--output) compadd table wide json yaml name; return;;\n"
	      "    -f|--filename|--cacert|--token-file) _files; return;;\n"
	      "    get|delete) compadd -a kinds; return;;\n"
	      "    completion) compadd bash zsh; return;;\n"
	      "  esac\n"
	      "  if (( CURRENT == 2 )); then compadd -a cmds; else _files; fi\n"
	      "}\n"
	      "compdef _weftctl weftctl\n",
	      out);
}

int weftctl_completion(const char *shell, FILE *out)
{
	if (!strcmp(shell, "zsh"))
		zsh(out);
	else
		bash(out);
	return WCTL_OK;
}

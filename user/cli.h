/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Subcommands; each parses its own options and has its own --help. */
#ifndef TS_CLI_H
#define TS_CLI_H

#ifndef TS_VERSION
#define TS_VERSION "0.1.0"
#endif

int cmd_trace(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_stats(int argc, char **argv);

#endif

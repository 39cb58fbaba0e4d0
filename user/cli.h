/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Subcommands (cmd/, one file each); each parses its own options and has its own --help. */
#ifndef TS_CLI_H
#define TS_CLI_H

int cmd_trace(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif

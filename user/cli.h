/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Subcommands; each parses its own options and has its own --help. */
#ifndef TS_CLI_H
#define TS_CLI_H

#include <stdbool.h>

#ifndef TS_VERSION
#define TS_VERSION "0.1.0"
#endif

int cmd_trace(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/*
 * Replay a capture into outputs (replay.c; stats is a replay into the stats
 * writer): 0, or 1 with what went wrong said. salvage keeps what came before
 * bad data; without it a failed replay leaves every output path as it was.
 */
int ts_replay_file(const char *in, char **out, unsigned int nout, bool salvage);

#endif

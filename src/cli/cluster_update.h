/*
 * cluster_update.h -- `wolfpack cluster update` (cluster_update.c), a
 * subcommand of cmd_cluster.c: the operating system updated node by node.
 */
#ifndef WP_CLI_CLUSTER_UPDATE_H
#define WP_CLI_CLUSTER_UPDATE_H

#include "cli.h"

extern const char wp_cli_usage_cluster_update[];
int wp_cli_cluster_update(wp_cli *cli, int argc, char **argv);

#endif

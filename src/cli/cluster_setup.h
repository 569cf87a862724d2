/*
 * cluster_setup.h -- `wolfpack cluster create`: write corosync.conf and the
 * corosync authkey for a new cluster, as `pcs cluster setup` does, minus the
 * copying to the other nodes.
 *
 * The CLI's main (src/cli/main.c) calls it for the words "cluster create".
 */
#ifndef WP_CLUSTER_SETUP_H
#define WP_CLUSTER_SETUP_H

/*
 * argv starts after the words "cluster create" (argv[0] is the cluster
 * name), argc counts those words:
 *
 *   NAME --node NAME=ADDRESS [--node NAME=ADDRESS ...]
 *        [--config-dir DIR] [--token MS] [--ip A.B.C.D/P] [--force]
 *
 * Node ids are 1..N in the order given.  Writes DIR/corosync.conf (0644)
 * and DIR/authkey (0400, 256 random bytes), and with --ip DIR/wolfpack.conf
 * (0644, `cluster_ip=A.B.C.D/P`, src/lib/cluster_conf.h; the address must
 * lie in the nodes' subnet), each atomically; refuses to replace any of
 * them without --force (without --ip, --force removes an old
 * wolfpack.conf).  DIR defaults to /etc/corosync.
 * Prints what it wrote and the next steps on stdout, errors on stderr.
 *
 * Returns the exit status: 0 ok, 2 invalid input, 4 a file exists,
 * 7 an I/O error.
 */
int wp_cli_cluster_create(int argc, char **argv);

#endif

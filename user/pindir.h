/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pin directory: where an instance's maps live on bpffs, and the lock
 * that serialises every command working on that instance.
 */
#ifndef BPFROUTE_PINDIR_H
#define BPFROUTE_PINDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define PINDIR_DEFAULT "/sys/fs/bpf/bpfroute"
#define BPFFS_DEFAULT "/sys/fs/bpf"

struct pindir {
	char path[PATH_MAX];
	int fd;			/* the directory, flock()ed; -1 when closed */
	bool created;		/* made by this command: removed on rollback */
};

/*
 * For `load`: make sure path is on bpffs (mounting the default bpffs if it
 * is missing), create the directory if needed, and lock it exclusively.
 */
int pindir_create(struct pindir *pd, const char *path);

/*
 * For every other command: open an existing pin directory and lock it,
 * exclusively if `exclusive`, else shared. -ENOENT if nothing is loaded;
 * -EPERM, said on one line here, if the directory is not this user's or is
 * writable by group or others (pindir_create() refuses it likewise).
 */
int pindir_open(struct pindir *pd, const char *path, bool exclusive);

/*
 * For `check`: would pindir_create() take path, which does not exist yet?
 * Refuses as it would (one line), but mounts and creates nothing.
 */
int pindir_check_new(const char *path);

/* Unlock and close; the directory stays. */
void pindir_close(struct pindir *pd);

/* Remove the (empty) directory, then close. */
int pindir_remove(struct pindir *pd);

/* "DIR/NAME" into buf. -ENAMETOOLONG if it does not fit. */
int pindir_path(const struct pindir *pd, const char *name, char *buf, size_t size);

#endif /* BPFROUTE_PINDIR_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "log.h"
#include "pindir.h"

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/*
 * The pin directory's parent must be on bpffs. Only the default location is
 * mounted for the operator, as bpftool does: a bpffs elsewhere is a choice
 * bpfroute should not make on its own.
 */
static int ensure_bpffs(const char *path, bool dry_run)
{
	char parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s", path);
	dirname(parent);
	if (is_bpffs(parent))
		return 0;
	if (strcmp(parent, BPFFS_DEFAULT)) {
		pr_err("%s: not on a bpf filesystem (mount -t bpf bpf %s)\n", path, parent);
		return -EINVAL;
	}
	if (dry_run)
		return 0;
	if (mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_err("mounting bpffs on %s: %s\n", BPFFS_DEFAULT, strerror(-err));
		return err;
	}
	pr_debug("mounted bpffs on %s\n", BPFFS_DEFAULT);
	return 0;
}

/*
 * Lock the open directory. A command that waited while another one removed
 * the directory (unload) holds a lock on a deleted inode: tell the caller to
 * look again.
 */
static int lock_dir(int fd, bool exclusive)
{
	struct stat st;

	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH))
		return -errno;
	if (fstat(fd, &st))
		return -errno;
	return st.st_nlink ? 0 : -ESTALE;
}

/*
 * Refuse a pin directory someone else could have prepared: owned by another
 * user, or writable by group or others. Whoever can write it can put a map
 * of their own in place of a pinned one, and every command would use it.
 * Says why on one line; -EPERM.
 */
static int check_owner(const struct pindir *pd)
{
	struct stat st;

	if (fstat(pd->fd, &st))
		return -errno;
	if (st.st_uid != geteuid()) {
		pr_err("%s: owned by uid %u, not by uid %u: refused (chown it, or use another "
		       "--pin-dir)\n", pd->path, (unsigned int)st.st_uid,
		       (unsigned int)geteuid());
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		pr_err("%s: writable by group or others (mode %04o): refused (chmod 0700)\n",
		       pd->path, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int pindir_set_path(struct pindir *pd, const char *path)
{
	size_t len = strlen(path);

	pd->fd = -1;
	pd->created = false;
	if (!len || len >= sizeof(pd->path)) {
		pr_err("bad pin directory '%s'\n", path);
		return -EINVAL;
	}
	memcpy(pd->path, path, len + 1);
	while (len > 1 && pd->path[len - 1] == '/')
		pd->path[--len] = '\0';
	return 0;
}

int pindir_open(struct pindir *pd, const char *path, bool exclusive)
{
	int err;

	err = pindir_set_path(pd, path);
	if (err)
		return err;
	for (int tries = 0; tries < 3; tries++) {
		pd->fd = open(pd->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pd->fd < 0)
			return -errno;
		err = lock_dir(pd->fd, exclusive);
		if (!err)
			err = check_owner(pd);
		if (err != -ESTALE)
			break;
		close(pd->fd);
		pd->fd = -1;
	}
	if (err) {
		pindir_close(pd);
		return err == -ESTALE ? -ENOENT : err;
	}
	return 0;
}

int pindir_create(struct pindir *pd, const char *path)
{
	int err;

	err = pindir_set_path(pd, path);
	if (err)
		return err;
	err = ensure_bpffs(pd->path, false);
	if (err)
		return err;
	for (int tries = 0; tries < 3; tries++) {
		bool created = !mkdir(pd->path, 0700);

		if (!created && errno != EEXIST) {
			err = -errno;
			pr_err("%s: %s\n", pd->path, strerror(-err));
			return err;
		}
		err = pindir_open(pd, pd->path, true);
		if (!err) {
			pd->created = created;
			return 0;
		}
		if (err != -ENOENT)
			break;
	}
	if (err != -EPERM)	/* check_owner() said why */
		pr_err("%s: %s\n", pd->path, strerror(-err));
	return err;
}

int pindir_check_new(const char *path)
{
	struct pindir pd;
	int err;

	err = pindir_set_path(&pd, path);
	return err ? err : ensure_bpffs(pd.path, true);
}

void pindir_close(struct pindir *pd)
{
	if (pd->fd >= 0)
		close(pd->fd);	/* releases the flock */
	pd->fd = -1;
}

int pindir_remove(struct pindir *pd)
{
	int err = 0;

	if (rmdir(pd->path) && errno != ENOENT) {
		err = -errno;
		pr_err("removing %s: %s\n", pd->path, strerror(-err));
	}
	pindir_close(pd);
	return err;
}

int pindir_path(const struct pindir *pd, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", pd->path, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netdev.h"

/*
 * SIOCGIFHWADDR answers for the socket's network namespace (the caller's),
 * whatever /sys shows: a process that entered a namespace with `nsenter
 * --net` alone still sees the host's /sys/class/net.
 */
int netdev_hw_get(const char *dev, struct netdev_hw *hw)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	memset(hw, 0, sizeof(*hw));
	if (strlen(dev) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		err = -errno;
		goto cleanup;
	}
	hw->type = ifr.ifr_hwaddr.sa_family;
	if (hw->type == ARPHRD_ETHER)
		memcpy(hw->mac, ifr.ifr_hwaddr.sa_data, sizeof(hw->mac));
cleanup:
	close(fd);
	return err;
}

bool netdev_hw_ether(const struct netdev_hw *hw)
{
	return hw->type == ARPHRD_ETHER;
}

int netdev_up(const char *dev, bool *up)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	*up = false;
	if (strlen(dev) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		err = -errno;
	else
		*up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return err;
}

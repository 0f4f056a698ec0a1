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
 * An interface ioctl on a throwaway socket. It answers for the socket's
 * network namespace (the caller's), whatever /sys shows: a process that
 * entered a namespace with `nsenter --net` alone still sees the host's
 * /sys/class/net.
 */
static int netdev_ioctl(const char *dev, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	memset(ifr, 0, sizeof(*ifr));
	if (strlen(dev) >= sizeof(ifr->ifr_name))
		return -ENODEV;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", dev);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

int netdev_hw_get(const char *dev, struct netdev_hw *hw)
{
	struct ifreq ifr;
	int err;

	memset(hw, 0, sizeof(*hw));
	err = netdev_ioctl(dev, SIOCGIFHWADDR, &ifr);
	if (err)
		return err;
	hw->type = ifr.ifr_hwaddr.sa_family;
	if (hw->type == ARPHRD_ETHER)
		memcpy(hw->mac, ifr.ifr_hwaddr.sa_data, sizeof(hw->mac));
	return 0;
}

bool netdev_hw_ether(const struct netdev_hw *hw)
{
	return hw->type == ARPHRD_ETHER;
}

int netdev_up(const char *dev, bool *up)
{
	struct ifreq ifr;
	int err;

	*up = false;
	err = netdev_ioctl(dev, SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	*up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	return 0;
}

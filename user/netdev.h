/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A device's link layer, as the kernel of this network namespace holds it:
 * its hardware type and address. Ethernet devices (NICs, veth, bridges)
 * are ARPHRD_ETHER with a 6-byte MAC; WireGuard and TUN are ARPHRD_NONE,
 * with no MAC header at all.
 */
#ifndef BPFROUTE_NETDEV_H
#define BPFROUTE_NETDEV_H

#include <stdbool.h>
#include <linux/types.h>

struct netdev_hw {
	unsigned short type;	/* ARPHRD_* */
	__u8 mac[6];		/* the device's MAC if ARPHRD_ETHER, else zero */
};

/* The link layer of dev. -ENODEV if there is no such device. */
int netdev_hw_get(const char *dev, struct netdev_hw *hw);

/*
 * Is dev up: administratively up with a carrier (IFF_UP and IFF_RUNNING),
 * where a redirected packet can leave? -ENODEV if there is no such device.
 */
int netdev_up(const char *dev, bool *up);

/* Does the device carry an Ethernet header? */
bool netdev_hw_ether(const struct netdev_hw *hw);

#endif /* BPFROUTE_NETDEV_H */

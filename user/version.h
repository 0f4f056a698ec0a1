/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The version of bpfroute: the Makefile's VERSION, defined there only. */
#ifndef BPFROUTE_VERSION_H
#define BPFROUTE_VERSION_H

#ifndef BPFROUTE_VERSION
#error "BPFROUTE_VERSION comes from the Makefile (VERSION := ...)"
#endif

#endif /* BPFROUTE_VERSION_H */

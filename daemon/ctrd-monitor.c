/* SPDX-License-Identifier: MIT */
/* ctrd-monitor: the program a container's monitor becomes once the container runs (monitor.h). */
#include "config.h"

#include "monitor.h"

int
main(int argc, char **argv)
{
	return monitor_main(argc, argv);
}

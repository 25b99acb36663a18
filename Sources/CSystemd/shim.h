#ifndef STRONGSWAN_EXPORTER_CSYSTEMD_SHIM_H
#define STRONGSWAN_EXPORTER_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#endif

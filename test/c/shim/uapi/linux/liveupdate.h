/* Test shim: the one constant the LUO header takes from <uapi/linux/liveupdate.h>. */
#ifndef SHIM_UAPI_LINUX_LIVEUPDATE_H
#define SHIM_UAPI_LINUX_LIVEUPDATE_H
#define LIVEUPDATE_SESSION_NAME_LENGTH 64
#endif

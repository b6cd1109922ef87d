/* The corosync client headers the bindings are generated from. */
#include <corosync/corotypes.h>
#include <corosync/cpg.h>
#include <corosync/quorum.h>
#include <corosync/votequorum.h>
#include <corosync/cmap.h>

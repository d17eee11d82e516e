/* A crash's container and Kubernetes pod in the history (migration 6):
 * the columns, their JSON keys (the spool record's "container_info",
 * docs/spool.md; the --json output's and the query socket's
 * "container_info"), one table for both. */
#ifndef CW_STORAGE_CRASH_CONTAINER_H
#define CW_STORAGE_CRASH_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

struct json_object;

struct cw_crash_container_field {
	const char *column;  /* crashes.<column> */
	const char *key;     /* JSON key inside "container_info" */
	const char *label;   /* `crashwatch info` */
	size_t offset;       /* of the const char * in struct cw_crash_container */
};

extern const struct cw_crash_container_field cw_crash_container_fields[CW_CRASH_CONTAINER_NFIELDS];

static inline const char **cw_crash_container_at(struct cw_crash_container *k, size_t i)
{
	return (const char **)((char *)k + cw_crash_container_fields[i].offset);
}

static inline const char *cw_crash_container_get(const struct cw_crash_container *k, size_t i)
{
	return *(const char *const *)((const char *)k + cw_crash_container_fields[i].offset);
}

/* Whether any field is known. */
int cw_crash_container_any(const struct cw_crash_container *k);

/* Internal to storage/: writes k into crash id's row (inside the insert
 * transaction). */
int cw_crash_container_store(struct cw_db *db, int64_t id, const struct cw_crash_container *k);

/* Adds "container_info" to o: an object of the known fields, or null. */
int cw_crash_container_to_json(struct json_object *o, const struct cw_crash_container *k);
/* Reads "container_info" of o (strings borrowed from o). */
void cw_crash_container_from_json(struct json_object *o, struct cw_crash_container *k);

#endif

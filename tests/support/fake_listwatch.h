/* fake_listwatch.h - an in-memory rc_list_watch for test suites: a resource with a resourceVersion
 * counter, an event history (compactable, to provoke 410 Gone), label-selector filtering, list paging,
 * bookmarks, watch-list (sendInitialEvents) and scripted failures. Thread-safe. */
#ifndef RC_TEST_FAKE_LISTWATCH_H
#define RC_TEST_FAKE_LISTWATCH_H

#include <reconcile/listwatch.h>

typedef struct fake_lw fake_lw;

typedef enum fake_lw_op { FAKE_LIST, FAKE_WATCH } fake_lw_op;
typedef enum fake_lw_watch_list {
    FAKE_WATCH_LIST_SUPPORTED, /* initial ADDED events, then the initial-events-end bookmark */
    FAKE_WATCH_LIST_REJECTED,  /* watch with sendInitialEvents fails with RC_EBADREQUEST */
    FAKE_WATCH_LIST_IGNORED    /* the flag is ignored: a plain watch, no bookmark ever comes */
} fake_lw_watch_list;

fake_lw *fake_lw_new(void);
void fake_lw_free(fake_lw *f);
/* The source to hand to a reflector or informer (ctx = f; no destroy: free f yourself). */
rc_list_watch fake_lw_source(fake_lw *f);

/* Creates or modifies ns/name (a Pod labelled app=<app>, spec.generation bumped); returns the new
 * resourceVersion. */
uint64_t fake_lw_put(fake_lw *f, const char *ns, const char *name, const char *app);
/* Stores a copy of the JSON object text with the next resourceVersion; returns it (0 on bad JSON). */
uint64_t fake_lw_put_json(fake_lw *f, const char *json);
/* Deletes ns/name; returns the new resourceVersion (0 when absent). */
uint64_t fake_lw_remove(fake_lw *f, const char *ns, const char *name);
/* Changes ns/name without telling open watches (as if the event was lost); returns the version. */
uint64_t fake_lw_remove_silently(fake_lw *f, const char *ns, const char *name);
uint64_t fake_lw_version(fake_lw *f);

/* Forgets the history up to now: watches from an older version get a 410 ERROR event. */
void fake_lw_compact(fake_lw *f);
/* Sends a BOOKMARK at the current version to watches that allow bookmarks. */
void fake_lw_bookmark(fake_lw *f);
/* Ends every open watch cleanly / with an ERROR event of `code`. */
void fake_lw_end_watches(fake_lw *f);
void fake_lw_error_watches(fake_lw *f, int code);
/* The next `times` calls of op fail with `code` (RC_EFORBIDDEN, RC_EIO, ...). */
void fake_lw_fail_next(fake_lw *f, fake_lw_op op, int code, int times);
void fake_lw_set_watch_list(fake_lw *f, fake_lw_watch_list mode);

/* Observations. */
int fake_lw_calls(fake_lw *f, fake_lw_op op);
/* resourceVersion option of the last call of op ("" when unset). */
const char *fake_lw_last_version(fake_lw *f, fake_lw_op op);
int64_t fake_lw_last_limit(fake_lw *f);
size_t fake_lw_open_watches(fake_lw *f);

#endif

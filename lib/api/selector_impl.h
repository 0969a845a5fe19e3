/* selector_impl.h - internal layout of rc_selector shared by the label selector files: the string parser
 * (selector_parse.c), the LabelSelector object reader (selector_node.c), validation of keys and values
 * (selector_validate.c) and the core that builds, matches and prints selectors (selector.c). */
#ifndef RC_API_SELECTOR_IMPL_H
#define RC_API_SELECTOR_IMPL_H

#include <reconcile/selector.h>

typedef enum rci_label_op {
    RCI_OP_EQUALS,      /* a=b, a==b, matchLabels */
    RCI_OP_NOT_EQUALS,  /* a!=b */
    RCI_OP_IN,          /* a in (x,y) */
    RCI_OP_NOT_IN,      /* a notin (x,y) */
    RCI_OP_EXISTS,      /* a */
    RCI_OP_NOT_EXISTS,  /* !a */
    RCI_OP_GT,          /* a>5 (integer label values) */
    RCI_OP_LT           /* a<5 */
} rci_label_op;

/* One requirement. values are sorted and unique once the selector is finished, so matching can
 * binary-search them; number holds the bound of GT/LT. */
typedef struct rci_requirement {
    char *key;
    rci_label_op op;
    char **values;
    size_t nvalues;
    int64_t number;
} rci_requirement;

struct rc_selector {
    rci_requirement *reqs; /* sorted by key (stable) once finished */
    size_t count;
    size_t cap;
    bool nothing; /* selects nothing (nil LabelSelector) */
};

/* An empty selector (selects everything); NULL on allocation failure. */
rc_selector *rci_selector_new(void);
/* Appends a requirement on key[0..key_len) with no values yet; returns it, or NULL on allocation
 * failure. */
rci_requirement *rci_selector_add(rc_selector *s, const char *key, size_t key_len, rci_label_op op);
/* Adds value[0..len) to r; 0 or RC_ENOMEM. */
int rci_requirement_add_value(rci_requirement *r, const char *value, size_t len);
/* Sorts requirements by key and each value list, dropping duplicate values. */
void rci_selector_finish(rc_selector *s);

/* NULL when valid, else a static message saying what is wrong with the label key / value text[0..len). */
const char *rci_label_key_problem(const char *text, size_t len);
const char *rci_label_value_problem(const char *text, size_t len);

#endif

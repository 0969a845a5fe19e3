/* selector_node.c - rc_selector from a metav1.LabelSelector JSON node ({matchLabels, matchExpressions}),
 * as upstream's LabelSelectorAsSelector plus its validation: every problem becomes a cause with a field
 * path under the caller's prefix ("spec.selector.matchExpressions[0].operator") and the whole selector is
 * rejected with RC_EINVAL. */
#include "api/selector_impl.h"

#include <stdio.h>
#include <string.h>

typedef struct reader {
    const char *prefix;
    rc_selector *sel;
    rc_error *err;
    size_t problems;
    bool oom;
} reader;

static void problem(reader *rd, const char *field, const char *reason, const char *msg, const char *value)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s%s", rd->prefix, *rd->prefix ? "." : "", field);
    if (rd->problems++ == 0)
        rc_error_set(rd->err, RC_EINVAL, "%s: %s%s%s%s", path, value ? "Invalid value: \"" : "",
                     value ? value : "", value ? "\": " : "", msg);
    if (value)
        rc_error_add_cause(rd->err, path, reason, "Invalid value: \"%s\": %s", value, msg);
    else
        rc_error_add_cause(rd->err, path, reason, "%s", msg);
}

static void add_value(reader *rd, rci_requirement *r, const char *v)
{
    if (rci_requirement_add_value(r, v, strlen(v)))
        rd->oom = true;
}

static void read_match_labels(reader *rd, rc_node labels)
{
    if (!rc_node_exists(labels) || rc_node_kind(labels) == RC_NODE_NULL)
        return;
    if (rc_node_kind(labels) != RC_NODE_OBJECT) {
        problem(rd, "matchLabels", "FieldValueTypeInvalid", "must be an object of strings", NULL);
        return;
    }
    for (size_t i = 0; i < rc_node_len(labels); i++) {
        const char *key = rc_node_key_at(labels, i);
        const char *value = rc_node_str(rc_node_value_at(labels, i));
        const char *bad = rci_label_key_problem(key, strlen(key));
        if (bad)
            problem(rd, "matchLabels", "FieldValueInvalid", bad, key);
        if (!value) {
            problem(rd, "matchLabels", "FieldValueTypeInvalid", "label values must be strings", key);
            continue;
        }
        if ((bad = rci_label_value_problem(value, strlen(value))))
            problem(rd, "matchLabels", "FieldValueInvalid", bad, value);
        rci_requirement *r = rci_selector_add(rd->sel, key, strlen(key), RCI_OP_EQUALS);
        if (!r)
            rd->oom = true;
        else
            add_value(rd, r, value);
    }
}

static bool parse_operator(const char *s, rci_label_op *op)
{
    static const struct { const char *name; rci_label_op op; } ops[] = {
        {"In", RCI_OP_IN}, {"NotIn", RCI_OP_NOT_IN}, {"Exists", RCI_OP_EXISTS},
        {"DoesNotExist", RCI_OP_NOT_EXISTS}};
    for (size_t i = 0; s && i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(s, ops[i].name) == 0) {
            *op = ops[i].op;
            return true;
        }
    }
    return false;
}

static void read_values(reader *rd, rc_node values, const char *field, rci_requirement *r)
{
    char path[160];
    for (size_t j = 0; j < rc_node_len(values); j++) {
        const char *v = rc_node_str(rc_node_index(values, j));
        snprintf(path, sizeof path, "%s[%zu]", field, j);
        const char *bad = v ? rci_label_value_problem(v, strlen(v)) : "must be a string";
        if (bad)
            problem(rd, path, v ? "FieldValueInvalid" : "FieldValueTypeInvalid", bad, v);
        else if (r)
            add_value(rd, r, v);
    }
}

static void read_expression(reader *rd, rc_node expr, size_t i)
{
    char field[96];
    snprintf(field, sizeof field, "matchExpressions[%zu]", i);
    if (rc_node_kind(expr) != RC_NODE_OBJECT) {
        problem(rd, field, "FieldValueTypeInvalid", "must be an object", NULL);
        return;
    }
    char sub[128];
    const char *key = rc_node_str(rc_node_get(expr, "key"));
    const char *opname = rc_node_str(rc_node_get(expr, "operator"));
    rc_node values = rc_node_get(expr, "values");
    size_t nvalues = rc_node_len(values);
    bool key_ok = false, op_ok;
    rci_label_op op = RCI_OP_IN;

    snprintf(sub, sizeof sub, "%s.key", field);
    const char *bad = key ? rci_label_key_problem(key, strlen(key)) : NULL;
    if (!key)
        problem(rd, sub, "FieldValueRequired", "Required value", NULL);
    else if (bad)
        problem(rd, sub, "FieldValueInvalid", bad, key);
    else
        key_ok = true;

    snprintf(sub, sizeof sub, "%s.operator", field);
    if (!(op_ok = parse_operator(opname, &op)))
        problem(rd, sub, opname ? "FieldValueNotSupported" : "FieldValueRequired",
                opname ? "not a valid label selector operator (In, NotIn, Exists, DoesNotExist)"
                       : "Required value",
                opname);

    snprintf(sub, sizeof sub, "%s.values", field);
    if (rc_node_exists(values) && rc_node_kind(values) != RC_NODE_ARRAY && rc_node_kind(values) != RC_NODE_NULL) {
        problem(rd, sub, "FieldValueTypeInvalid", "must be an array of strings", NULL);
        return;
    }
    if (op_ok && (op == RCI_OP_IN || op == RCI_OP_NOT_IN) && nvalues == 0)
        problem(rd, sub, "FieldValueRequired", "must be specified when `operator` is 'In' or 'NotIn'", NULL);
    if (op_ok && (op == RCI_OP_EXISTS || op == RCI_OP_NOT_EXISTS) && nvalues > 0)
        problem(rd, sub, "FieldValueForbidden", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                NULL);

    rci_requirement *r = NULL;
    if (key_ok && op_ok) {
        r = rci_selector_add(rd->sel, key, strlen(key), op);
        rd->oom |= r == NULL;
    }
    read_values(rd, values, sub, r);
}

static void read_match_expressions(reader *rd, rc_node exprs)
{
    if (!rc_node_exists(exprs) || rc_node_kind(exprs) == RC_NODE_NULL)
        return;
    if (rc_node_kind(exprs) != RC_NODE_ARRAY) {
        problem(rd, "matchExpressions", "FieldValueTypeInvalid", "must be an array", NULL);
        return;
    }
    for (size_t i = 0; i < rc_node_len(exprs); i++)
        read_expression(rd, rc_node_index(exprs, i), i);
}

rc_selector *rc_selector_from_node(rc_node label_selector, const char *field_prefix, rc_error *err)
{
    reader rd = {field_prefix ? field_prefix : "", rci_selector_new(), err, 0, false};
    if (!rd.sel) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    rc_node_type kind = rc_node_kind(label_selector);
    if (kind == RC_NODE_NONE || kind == RC_NODE_NULL) {
        rd.sel->nothing = true;
        return rd.sel;
    }
    if (kind != RC_NODE_OBJECT) {
        const char *where = *rd.prefix ? rd.prefix : "selector";
        rd.prefix = "";
        problem(&rd, where, "FieldValueTypeInvalid",
                "a label selector must be an object", NULL);
    } else {
        read_match_labels(&rd, rc_node_get(label_selector, "matchLabels"));
        read_match_expressions(&rd, rc_node_get(label_selector, "matchExpressions"));
    }
    if (rd.problems || rd.oom) {
        if (!rd.problems)
            rc_error_set(err, RC_ENOMEM, "out of memory");
        rc_selector_free(rd.sel);
        return NULL;
    }
    rci_selector_finish(rd.sel);
    return rd.sel;
}

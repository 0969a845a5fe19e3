/* patch_json.c - JSON patch (RFC 6902) with JSON pointers (RFC 6901). The operations run on a private
 * copy of the document, which is returned when all succeed and freed at the first failure, so a failing
 * patch changes nothing. Errors name the operation (counting from 0), its op and path. */
#include "api/patch_internal.h"
#include "api/json_depth.h"

#include <stdlib.h>
#include <string.h>

/* A parsed pointer: tokens unescaped in place inside buf. */
typedef struct json_pointer {
    char *buf;
    char **tok;
    size_t n;
} json_pointer;

static void pointer_free(json_pointer *jp)
{
    free(jp->buf);
    free(jp->tok);
    memset(jp, 0, sizeof *jp);
}

/* Parses s; returns 0, RC_EINVAL (with *why) for bad syntax, RC_ENOMEM. */
static int pointer_parse(const char *s, json_pointer *jp, const char **why)
{
    memset(jp, 0, sizeof *jp);
    if (*s == '\0')
        return 0;
    if (*s != '/') {
        *why = "a JSON pointer must be empty or start with '/'";
        return RC_EINVAL;
    }
    size_t ntok = 0;
    for (const char *c = s; *c; c++)
        ntok += *c == '/';
    jp->buf = strdup(s);
    jp->tok = malloc(ntok * sizeof *jp->tok);
    if (!jp->buf || !jp->tok) {
        pointer_free(jp);
        return RC_ENOMEM;
    }
    char *r = jp->buf, *w = jp->buf; /* unescaping only shrinks, so w never passes r */
    for (;;) {
        r++; /* the '/' that starts this token */
        jp->tok[jp->n++] = w;
        for (; *r && *r != '/'; r++) {
            if (*r != '~') {
                *w++ = *r;
                continue;
            }
            r++;
            if (*r != '0' && *r != '1') {
                *why = "'~' must be followed by '0' or '1'";
                pointer_free(jp);
                return RC_EINVAL;
            }
            *w++ = *r == '0' ? '~' : '/';
        }
        bool more = *r == '/'; /* read before the terminator below may overwrite it */
        *w++ = '\0';
        if (!more)
            break;
    }
    return 0;
}

/* Parses an array index token. Returns 0, or RC_EINVAL with *why. "-" means size when allow_end. */
static int parse_index(const char *tok, size_t size, bool allow_end, size_t *out, const char **why)
{
    if (strcmp(tok, "-") == 0) {
        if (!allow_end) {
            *why = "'-' refers to no existing element";
            return RC_EINVAL;
        }
        *out = size;
        return 0;
    }
    if (*tok == '\0' || strspn(tok, "0123456789") != strlen(tok)) {
        *why = "array index is not a number";
        return RC_EINVAL;
    }
    if (tok[0] == '0' && tok[1] != '\0') {
        *why = "array index has a leading zero";
        return RC_EINVAL;
    }
    size_t idx = 0;
    for (const char *c = tok; *c; c++) {
        if (idx > (SIZE_MAX - 9) / 10) {
            *why = "array index out of range";
            return RC_EINVAL;
        }
        idx = idx * 10 + (size_t)(*c - '0');
    }
    if (idx > size || (idx == size && !allow_end)) {
        *why = "array index out of range";
        return RC_EINVAL;
    }
    *out = idx;
    return 0;
}

/* The child of container named by tok, or NULL (with *why). */
static cJSON *child_of(cJSON *container, const char *tok, const char **why)
{
    if (cJSON_IsObject(container)) {
        cJSON *c = cJSON_GetObjectItemCaseSensitive(container, tok);
        if (!c)
            *why = "path not found";
        return c;
    }
    if (cJSON_IsArray(container)) {
        size_t idx;
        if (parse_index(tok, (size_t)cJSON_GetArraySize(container), false, &idx, why) != 0)
            return NULL;
        return cJSON_GetArrayItem(container, (int)idx);
    }
    *why = "path not found";
    return NULL;
}

/* The node at the first `depth` tokens of jp, or NULL with *why. */
static cJSON *resolve(cJSON *root, const json_pointer *jp, size_t depth, const char **why)
{
    cJSON *node = root;
    for (size_t i = 0; node && i < depth; i++)
        node = child_of(node, jp->tok[i], why);
    return node;
}

/* Inserts item before element idx (appends at idx == size). cJSON 1.7.15's cJSON_InsertItemInArray
 * refuses to insert, so the tail is moved behind the new item instead. */
static bool insert_at(cJSON *arr, size_t idx, cJSON *item)
{
    cJSON *tail = cJSON_GetArrayItem(arr, (int)idx);
    if (!cJSON_AddItemToArray(arr, item))
        return false;
    while (tail && tail != item) {
        cJSON *next = tail->next;
        cJSON_AddItemToArray(arr, cJSON_DetachItemViaPointer(arr, tail)); /* re-linking never allocates */
        tail = next;
    }
    return true;
}

/* Adds value (owned; consumed on success and failure) at jp. */
static int do_add(cJSON **root, const json_pointer *jp, cJSON *value, const char **why)
{
    if (jp->n == 0) {
        cJSON_Delete(*root);
        *root = value;
        return 0;
    }
    cJSON *parent = resolve(*root, jp, jp->n - 1, why);
    const char *last = jp->tok[jp->n - 1];
    int rc = RC_EINVAL;
    if (cJSON_IsObject(parent)) {
        bool ok = cJSON_GetObjectItemCaseSensitive(parent, last) ? cJSON_ReplaceItemInObjectCaseSensitive(parent, last, value)
                                                                 : cJSON_AddItemToObject(parent, last, value);
        if (ok)
            return 0;
        rc = RC_ENOMEM;
    } else if (cJSON_IsArray(parent)) {
        size_t size = (size_t)cJSON_GetArraySize(parent), idx;
        if (parse_index(last, size, true, &idx, why) == 0) {
            if (insert_at(parent, idx, value))
                return 0;
            rc = RC_ENOMEM;
        }
    } else if (parent) {
        *why = "parent is not an object or array";
    }
    cJSON_Delete(value);
    return rc;
}

/* Detaches the node at jp and returns it (caller owns), or NULL with *why. */
static cJSON *do_detach(cJSON *root, const json_pointer *jp, const char **why)
{
    if (jp->n == 0) {
        *why = "cannot remove the whole document";
        return NULL;
    }
    cJSON *parent = resolve(root, jp, jp->n - 1, why);
    cJSON *node = parent ? child_of(parent, jp->tok[jp->n - 1], why) : NULL;
    return node ? cJSON_DetachItemViaPointer(parent, node) : NULL;
}

static int do_replace(cJSON **root, const json_pointer *jp, cJSON *value, const char **why)
{
    if (jp->n == 0) {
        cJSON_Delete(*root);
        *root = value;
        return 0;
    }
    cJSON *parent = resolve(*root, jp, jp->n - 1, why);
    cJSON *node = parent ? child_of(parent, jp->tok[jp->n - 1], why) : NULL;
    if (!node) {
        cJSON_Delete(value);
        return RC_EINVAL;
    }
    bool ok = cJSON_IsObject(parent) ? cJSON_ReplaceItemInObjectCaseSensitive(parent, node->string, value)
                                     : cJSON_ReplaceItemViaPointer(parent, node, value);
    if (!ok) {
        cJSON_Delete(value);
        return RC_ENOMEM;
    }
    return 0;
}

static const char *op_names[] = {"add", "remove", "replace", "move", "copy", "test"};
enum { OP_ADD, OP_REMOVE, OP_REPLACE, OP_MOVE, OP_COPY, OP_TEST, OP_COUNT };

static int op_code(const char *name)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (strcmp(op_names[i], name) == 0)
            return i;
    return -1;
}

/* Runs one operation on *root. Returns 0 or an error code with *why set. */
static int run_op(cJSON **root, int op, const json_pointer *path, const json_pointer *from, const char *path_str,
                  const char *from_str, const cJSON *value, const char **why)
{
    const char *dummy;
    switch (op) {
    case OP_ADD:
    case OP_REPLACE: {
        cJSON *copy = cJSON_Duplicate(value, 1);
        if (!copy)
            return RC_ENOMEM;
        return op == OP_ADD ? do_add(root, path, copy, why) : do_replace(root, path, copy, why);
    }
    case OP_REMOVE: {
        cJSON *gone = do_detach(*root, path, why);
        if (!gone)
            return RC_EINVAL;
        cJSON_Delete(gone);
        return 0;
    }
    case OP_MOVE: {
        size_t flen = strlen(from_str);
        if (strncmp(path_str, from_str, flen) == 0 && path_str[flen] == '/') {
            *why = "cannot move a value into one of its own children";
            return RC_EINVAL;
        }
        if (strcmp(path_str, from_str) == 0)
            return resolve(*root, from, from->n, why) ? 0 : RC_EINVAL;
        cJSON *moved = do_detach(*root, from, why);
        if (!moved) {
            *why = "from: path not found";
            return RC_EINVAL;
        }
        return do_add(root, path, moved, why);
    }
    case OP_COPY: {
        const cJSON *src = resolve(*root, from, from->n, &dummy);
        if (!src) {
            *why = "from: path not found";
            return RC_EINVAL;
        }
        cJSON *copy = cJSON_Duplicate(src, 1);
        if (!copy)
            return RC_ENOMEM;
        return do_add(root, path, copy, why);
    }
    default: {
        const cJSON *cur = resolve(*root, path, path->n, why);
        if (!cur)
            return RC_EINVAL;
        if (!rci_json_equal(cur, value)) {
            *why = "test failed: value differs";
            return RC_EINVAL;
        }
        return 0;
    }
    }
}

/* Validates and runs operation i of the patch. */
static int apply_one(cJSON **root, size_t i, const cJSON *opj, rc_error *err)
{
    const char *why = "invalid operation";
    const cJSON *opname = cJSON_GetObjectItemCaseSensitive(opj, "op");
    const cJSON *pathj = cJSON_GetObjectItemCaseSensitive(opj, "path");
    const char *op_str = cJSON_IsString(opname) ? opname->valuestring : "?";
    const char *path_str = cJSON_IsString(pathj) ? pathj->valuestring : "?";
    if (!cJSON_IsObject(opj))
        return rc_error_set(err, RC_EINVAL, "operation %zu: not an object", i);
    if (!cJSON_IsString(opname))
        return rc_error_set(err, RC_EINVAL, "operation %zu: missing \"op\"", i);
    int op = op_code(op_str);
    if (op < 0)
        return rc_error_set(err, RC_EINVAL, "operation %zu (%s %s): unknown op \"%s\"", i, op_str, path_str, op_str);
    if (!cJSON_IsString(pathj))
        return rc_error_set(err, RC_EINVAL, "operation %zu (%s): missing \"path\"", i, op_str);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(opj, "value");
    if (!value && (op == OP_ADD || op == OP_REPLACE || op == OP_TEST))
        return rc_error_set(err, RC_EINVAL, "operation %zu (%s %s): missing \"value\"", i, op_str, path_str);
    const cJSON *fromj = cJSON_GetObjectItemCaseSensitive(opj, "from");
    if ((op == OP_MOVE || op == OP_COPY) && !cJSON_IsString(fromj))
        return rc_error_set(err, RC_EINVAL, "operation %zu (%s %s): missing \"from\"", i, op_str, path_str);
    const char *from_str = (op == OP_MOVE || op == OP_COPY) ? fromj->valuestring : "";

    json_pointer path, from;
    int rc = pointer_parse(path_str, &path, &why);
    if (rc == 0) {
        rc = pointer_parse(from_str, &from, &why);
        if (rc == 0) {
            rc = run_op(root, op, &path, &from, path_str, from_str, value, &why);
            pointer_free(&from);
        } else if (rc == RC_EINVAL) {
            why = "invalid \"from\" pointer";
        }
        pointer_free(&path);
    }
    if (rc == RC_ENOMEM)
        return rc_error_set(err, RC_ENOMEM, "operation %zu (%s %s): out of memory", i, op_str, path_str);
    if (rc != 0)
        return rc_error_set(err, rc, "operation %zu (%s %s): %s", i, op_str, path_str, why);
    return 0;
}

cJSON *rc_patch_json(const cJSON *doc, const cJSON *patch, rc_error *err)
{
    if (!cJSON_IsArray(patch)) {
        rc_error_set(err, RC_EBADREQUEST, "json patch: the patch must be a JSON array of operations");
        return NULL;
    }
    if (rci_cjson_check_depth(doc, "json patch: the document", err) ||
        rci_cjson_check_depth(patch, "json patch: the patch", err))
        return NULL;
    cJSON *root = doc ? cJSON_Duplicate(doc, 1) : cJSON_CreateNull();
    if (!root) {
        rc_error_set(err, RC_ENOMEM, "json patch: out of memory");
        return NULL;
    }
    size_t i = 0;
    for (const cJSON *op = patch->child; op; op = op->next, i++)
        if (apply_one(&root, i, op, err) != 0) {
            cJSON_Delete(root);
            return NULL;
        }
    return root;
}

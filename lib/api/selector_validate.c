/* selector_validate.c - syntax of label keys (qualified names with an optional DNS-subdomain prefix) and
 * label values, as k8s.io/apimachinery/pkg/util/validation defines them. Used by both selector parsers
 * and exported for object validation in the API server. */
#include "api/selector_impl.h"

#include <string.h>

#define NAME_MAX_LEN 63
#define PREFIX_MAX_LEN 253

static const char NAME_CHARSET_MSG[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')";
static const char VALUE_CHARSET_MSG[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')";

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] on a non-empty span. */
static bool is_name_charset(const char *s, size_t len)
{
    if (!is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return false;
    for (size_t i = 1; i + 1 < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* RFC 1123 subdomain: dot-separated labels of [a-z0-9] and '-', each starting and ending alphanumeric. */
static bool is_dns_subdomain(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        if (i == start || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1]))
            return false;
        for (size_t j = start; j < i; j++)
            if (!is_lower_alnum(s[j]) && s[j] != '-')
                return false;
        start = i + 1;
    }
    return true;
}

const char *rci_label_key_problem(const char *text, size_t len)
{
    const char *slash = memchr(text, '/', len);
    const char *name = text;
    size_t name_len = len;
    if (slash) {
        size_t prefix_len = (size_t)(slash - text);
        name = slash + 1;
        name_len = len - prefix_len - 1;
        if (memchr(name, '/', name_len))
            return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an "
                   "optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        if (prefix_len == 0)
            return "prefix part must be non-empty";
        if (prefix_len > PREFIX_MAX_LEN)
            return "prefix part must be no more than 253 characters";
        if (!is_dns_subdomain(text, prefix_len))
            return "prefix part must be a lowercase RFC 1123 subdomain: lower case alphanumeric "
                   "characters, '-' or '.', starting and ending with an alphanumeric character";
    }
    if (name_len == 0)
        return "name part must be non-empty";
    if (name_len > NAME_MAX_LEN)
        return "name part must be no more than 63 characters";
    if (!is_name_charset(name, name_len))
        return NAME_CHARSET_MSG;
    return NULL;
}

const char *rci_label_value_problem(const char *text, size_t len)
{
    if (len == 0)
        return NULL;
    if (len > NAME_MAX_LEN)
        return "must be no more than 63 characters";
    if (!is_name_charset(text, len))
        return VALUE_CHARSET_MSG;
    return NULL;
}

static int invalid(const char *field, const char *value, const char *problem, rc_error *err)
{
    if (!field)
        field = "label";
    rc_error_set(err, RC_EINVAL, "%s: Invalid value: \"%s\": %s", field, value, problem);
    return rc_error_add_cause(err, field, "FieldValueInvalid", "Invalid value: \"%s\": %s", value, problem);
}

int rc_validate_label_key(const char *key, const char *field, rc_error *err)
{
    if (!key)
        return invalid(field, "", "name part must be non-empty", err);
    const char *problem = rci_label_key_problem(key, strlen(key));
    return problem ? invalid(field, key, problem, err) : 0;
}

int rc_validate_label_value(const char *value, const char *field, rc_error *err)
{
    if (!value)
        return 0;
    const char *problem = rci_label_value_problem(value, strlen(value));
    return problem ? invalid(field, value, problem, err) : 0;
}

/*
 * Dump every VEVENT of the given .ics files as normalized JSON, as libical
 * (the C library behind Evolution, KDE's KCalendarCore via libical users,
 * and many servers) understands them.
 *
 * usage:  libical_dump FILE...
 * stdout: {"files": {PATH: {"events": [...], "errors": [...]}}}
 * exit:   0 when every file parsed without error, 1 otherwise, 2 on bad usage.
 *
 * build:  gcc -o build/libical_dump libical_dump.c $(pkg-config --cflags --libs libical)
 *
 * UTC times: a DTSTART/DTEND TZID is resolved ONLY against the VTIMEZONEs of
 * the VCALENDAR it sits in (icalcomponent_get_timezone), never against
 * libical's builtin zone database, and then converted with
 * icaltime_convert_to_zone(..., UTC). A TZID with no VTIMEZONE in the file
 * is reported as floating with start_utc null.
 *
 * errors: every X-LIC-ERROR property libical inserted while parsing, plus the
 * ones icalrestriction_check() adds (prefixed "restriction: ").
 */
#include <libical/ical.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

/* ---------------------------------------------------------------- buffers */

typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fputs("libical_dump: out of memory\n", stderr);
            exit(3);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_putn(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        exit(3);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_putn(b, big, (size_t)n);
    free(big);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

/* JSON string: escape " \ and control characters, keep valid UTF-8 as is,
 * replace invalid bytes with U+FFFD (so the output is always valid JSON). */
static void sb_json_str(sbuf *b, const char *s)
{
    if (!s) {
        sb_puts(b, "null");
        return;
    }
    sb_putn(b, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        unsigned char c = *u;
        if (c == '"') {
            sb_puts(b, "\\\"");
            u++;
        } else if (c == '\\') {
            sb_puts(b, "\\\\");
            u++;
        } else if (c < 0x20 || c == 0x7F) {
            sb_printf(b, "\\u%04x", c);
            u++;
        } else {
            size_t n = utf8_len(u);
            if (n == 0) {
                sb_puts(b, "\\ufffd");
                u++;
            } else {
                sb_putn(b, (const char *)u, n);
                u += n;
            }
        }
    }
    sb_putn(b, "\"", 1);
}

/* A list of strings rendered as a JSON array. */
typedef struct {
    sbuf json;
    int count;
} strlist;

static void sl_add(strlist *l, const char *s)
{
    if (l->count++)
        sb_puts(&l->json, ", ");
    sb_json_str(&l->json, s);
}

static void sl_addf(strlist *l, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sl_add(l, tmp);
}

static void sb_json_list(sbuf *b, strlist *l)
{
    sb_puts(b, "[");
    if (l->json.p)
        sb_puts(b, l->json.p);
    sb_puts(b, "]");
}

static void sl_free(strlist *l) { free(l->json.p); }

/* ------------------------------------------------------------------ times */

typedef struct {
    int present;
    int is_date;
    int floating;
    char local[32]; /* wall clock as written */
    char utc[32];   /* "" when no instant */
} timeinfo;

static void fmt_local(char *out, size_t n, struct icaltimetype t)
{
    if (t.is_date)
        snprintf(out, n, "%04d-%02d-%02d", t.year, t.month, t.day);
    else
        snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour,
                 t.minute, t.second);
}

/* Give t the zone its TZID names, looked up in the file's VCALENDAR only.
 * Returns 1 if t now denotes an instant (UTC or resolved zone). */
static int resolve_zone(icalcomponent *cal, icalproperty *prop, struct icaltimetype *t)
{
    if (t->is_date)
        return 0;
    if (icaltime_is_utc(*t))
        return 1;
    icalparameter *p = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
    if (!p)
        return 0;
    const char *tzid = icalparameter_get_tzid(p);
    icaltimezone *tz = tzid ? icalcomponent_get_timezone(cal, tzid) : NULL;
    if (!tz)
        return 0;
    icaltime_set_timezone(t, tz);
    return 1;
}

static void time_to_info(struct icaltimetype t, int has_instant, timeinfo *ti, strlist *errors,
                         const char *what)
{
    ti->present = 1;
    ti->is_date = t.is_date;
    ti->floating = !t.is_date && !has_instant;
    ti->utc[0] = '\0';
    fmt_local(ti->local, sizeof ti->local, t);
    if (!has_instant)
        return;
    struct icaltimetype u = icaltime_convert_to_zone(t, icaltimezone_get_utc_timezone());
    if (!icaltime_is_utc(u)) {
        sl_addf(errors, "%s: conversion to UTC failed", what);
        return;
    }
    /* Cross-check with the time_t path. */
    time_t tt = icaltime_as_timet_with_zone(t, (icaltimezone *)icaltime_get_timezone(t));
    time_t tu = icaltime_as_timet_with_zone(u, icaltimezone_get_utc_timezone());
    if (tt != tu)
        sl_addf(errors, "%s: icaltime_convert_to_zone and icaltime_as_timet_with_zone disagree",
                what);
    snprintf(ti->utc, sizeof ti->utc, "%04d-%02d-%02dT%02d:%02d:%02dZ", u.year, u.month, u.day,
             u.hour, u.minute, u.second);
}

static void sb_json_time(sbuf *b, const char *key, const char *value)
{
    sb_printf(b, ", \"%s\": ", key);
    sb_json_str(b, value && *value ? value : NULL);
}

/* ----------------------------------------------------------------- events */

static const char *first_text(icalcomponent *c, icalproperty_kind kind)
{
    icalproperty *p = icalcomponent_get_first_property(c, kind);
    if (!p)
        return NULL;
    switch (kind) {
    case ICAL_UID_PROPERTY:
        return icalproperty_get_uid(p);
    case ICAL_SUMMARY_PROPERTY:
        return icalproperty_get_summary(p);
    case ICAL_DESCRIPTION_PROPERTY:
        return icalproperty_get_description(p);
    case ICAL_LOCATION_PROPERTY:
        return icalproperty_get_location(p);
    case ICAL_URL_PROPERTY:
        return icalproperty_get_url(p);
    default:
        return icalproperty_get_value_as_string(p);
    }
}

static void dump_event(icalcomponent *cal, icalcomponent *ev, sbuf *out, strlist *errors,
                       int index)
{
    const char *uid = first_text(ev, ICAL_UID_PROPERTY);
    char where[256];
    snprintf(where, sizeof where, "VEVENT #%d%s%s%s", index, uid ? " (" : "", uid ? uid : "",
             uid ? ")" : "");

    sb_puts(out, "{\"uid\": ");
    sb_json_str(out, uid);
    sb_puts(out, ", \"summary\": ");
    sb_json_str(out, first_text(ev, ICAL_SUMMARY_PROPERTY));
    sb_puts(out, ", \"description\": ");
    sb_json_str(out, first_text(ev, ICAL_DESCRIPTION_PROPERTY));
    sb_puts(out, ", \"location\": ");
    sb_json_str(out, first_text(ev, ICAL_LOCATION_PROPERTY));
    sb_puts(out, ", \"url\": ");
    sb_json_str(out, first_text(ev, ICAL_URL_PROPERTY));

    sb_puts(out, ", \"status\": ");
    icalproperty *sp = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    sb_json_str(out, sp ? icalproperty_get_value_as_string(sp) : NULL);

    sb_puts(out, ", \"sequence\": ");
    icalproperty *seq = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
    if (seq)
        sb_printf(out, "%d", icalproperty_get_sequence(seq));
    else
        sb_puts(out, "null");

    strlist cats = {0};
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_CATEGORIES_PROPERTY))
        sl_add(&cats, icalproperty_get_categories(p));
    sb_puts(out, ", \"categories\": ");
    sb_json_list(out, &cats);
    sl_free(&cats);

    /* DTSTART / DTEND (or DTSTART + DURATION). */
    timeinfo st = {0}, en = {0};
    char what[300];
    const char *tzid = NULL;
    struct icaltimetype start = icaltime_null_time();
    int start_instant = 0;
    icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    if (ps) {
        icalparameter *tp = icalproperty_get_first_parameter(ps, ICAL_TZID_PARAMETER);
        tzid = tp ? icalparameter_get_tzid(tp) : NULL;
        start = icalproperty_get_dtstart(ps);
        if (icaltime_is_null_time(start)) {
            sl_addf(errors, "%s: DTSTART: unreadable value", where);
            ps = NULL;
        } else {
            start_instant = resolve_zone(cal, ps, &start);
            snprintf(what, sizeof what, "%s DTSTART", where);
            time_to_info(start, start_instant, &st, errors, what);
        }
    } else {
        sl_addf(errors, "%s: no DTSTART", where);
    }
    icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    if (pe) {
        struct icaltimetype end = icalproperty_get_dtend(pe);
        if (!icaltime_is_null_time(end)) {
            int inst = resolve_zone(cal, pe, &end);
            snprintf(what, sizeof what, "%s DTEND", where);
            time_to_info(end, inst, &en, errors, what);
        }
    } else if (pd && ps) {
        struct icaldurationtype d = icalproperty_get_duration(pd);
        struct icaltimetype end = icaltime_add(start, d); /* keeps start's zone */
        snprintf(what, sizeof what, "%s DTSTART+DURATION", where);
        time_to_info(end, start_instant, &en, errors, what);
    }
    sb_json_time(out, "start_utc", st.utc);
    sb_json_time(out, "end_utc", en.utc);
    sb_json_time(out, "start_local", st.present ? st.local : NULL);
    sb_json_time(out, "end_local", en.present ? en.local : NULL);
    sb_printf(out, ", \"all_day\": %s", st.present ? (st.is_date ? "true" : "false") : "null");
    sb_puts(out, ", \"tzid\": ");
    sb_json_str(out, tzid);
    sb_printf(out, ", \"floating\": %s", st.present ? (st.floating ? "true" : "false") : "null");

    strlist conf = {0};
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ANY_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_ANY_PROPERTY)) {
        const char *name = icalproperty_get_property_name(p);
        if (name && strcmp(name, "CONFERENCE") == 0)
            sl_add(&conf, icalproperty_get_value_as_string(p));
    }
    sb_puts(out, ", \"conference\": ");
    sb_json_list(out, &conf);
    sl_free(&conf);

    strlist att = {0};
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ATTACH_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_ATTACH_PROPERTY)) {
        icalattach *a = icalproperty_get_attach(p);
        if (!a)
            sl_add(&att, icalproperty_get_value_as_string(p));
        else if (icalattach_get_is_url(a))
            sl_add(&att, icalattach_get_url(a));
        else
            sl_add(&att, (const char *)icalattach_get_data(a));
    }
    sb_puts(out, ", \"attach\": ");
    sb_json_list(out, &att);
    sl_free(&att);

    sb_puts(out, "}");
}

/* ----------------------------------------------------------------- errors */

static void collect_errors(icalcomponent *c, strlist *errors)
{
    const char *kind = icalcomponent_kind_to_string(icalcomponent_isa(c));
    for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
        const char *text = icalproperty_get_xlicerror(p);
        icalparameter *tp = icalproperty_get_first_parameter(p, ICAL_XLICERRORTYPE_PARAMETER);
        icalparameter_xlicerrortype type =
            tp ? icalparameter_get_xlicerrortype(tp) : ICAL_XLICERRORTYPE_NONE;
        if (type == ICAL_XLICERRORTYPE_INVALIDITIP) {
            sl_addf(errors, "restriction: %s: %s", kind ? kind : "?", text ? text : "");
        } else {
            const char *tname = tp ? icalparameter_as_ical_string(tp) : NULL;
            sl_addf(errors, "%s: %s%s%s%s", kind ? kind : "?", text ? text : "",
                    tname ? " [" : "", tname ? tname : "", tname ? "]" : "");
        }
    }
    for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
         s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
        collect_errors(s, errors);
}

/* ------------------------------------------------------------------ files */

static char *read_file(const char *path, char *err, size_t errn)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errn, "read: cannot open file");
        return NULL;
    }
    sbuf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_putn(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b.p);
        snprintf(err, errn, "read: I/O error");
        return NULL;
    }
    if (!b.p)
        sb_puts(&b, "");
    if (strlen(b.p) != b.n)
        snprintf(err, errn, "read: file contains NUL bytes; libical sees only the part before");
    return b.p;
}

/* The calendar's naming properties as the reader sees them (unescaped TEXT, or the raw X value). */
static const char *NAMING[] = {"NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION"};
#define NNAMING (sizeof NAMING / sizeof NAMING[0])

static const char *property_text(icalproperty *p)
{
    icalvalue *v = icalproperty_get_value(p);
    if (!v)
        return NULL;
    switch (icalvalue_isa(v)) {
    case ICAL_TEXT_VALUE:
        return icalvalue_get_text(v);
    case ICAL_X_VALUE:
        return icalvalue_get_x(v);
    default:
        return icalproperty_get_value_as_string(p);
    }
}

static void dump_naming(icalcomponent *cal, sbuf *out)
{
    const char *found[NNAMING] = {NULL};
    for (icalproperty *p = icalcomponent_get_first_property(cal, ICAL_ANY_PROPERTY); p;
         p = icalcomponent_get_next_property(cal, ICAL_ANY_PROPERTY)) {
        const char *name = icalproperty_isa(p) == ICAL_X_PROPERTY ? icalproperty_get_x_name(p)
                                                                    : icalproperty_get_property_name(p);
        for (size_t i = 0; name && i < NNAMING; i++)
            if (!found[i] && strcasecmp(name, NAMING[i]) == 0)
                found[i] = property_text(p);
    }
    sb_puts(out, "{");
    for (size_t i = 0; i < NNAMING; i++) {
        char key[32];
        size_t j = 0;
        for (; NAMING[i][j] && j < sizeof key - 1; j++)
            key[j] = (char)tolower((unsigned char)NAMING[i][j]);
        key[j] = 0;
        sb_printf(out, "%s\"%s\": ", i ? ", " : "", key);
        sb_json_str(out, found[i]);
    }
    sb_puts(out, "}");
}

static void dump_calendar(icalcomponent *cal, sbuf *events, int *nevents, strlist *errors)
{
    /* Parse errors are already in the tree; the restriction check adds its own. */
    icalrestriction_check(cal);
    collect_errors(cal, errors);
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        if ((*nevents)++)
            sb_puts(events, ",\n    ");
        dump_event(cal, ev, events, errors, *nevents);
    }
}

static int dump_file(const char *path, sbuf *out)
{
    sbuf events = {0};
    sbuf naming = {0};
    strlist errors = {0};
    int nevents = 0;
    char err[256] = "";

    char *text = read_file(path, err, sizeof err);
    if (err[0])
        sl_add(&errors, err);
    if (text) {
        icalcomponent *root = icalparser_parse_string(text);
        if (!root) {
            sl_add(&errors, "parse: libical found no component");
        } else {
            icalcomponent_kind k = icalcomponent_isa(root);
            if (k == ICAL_VCALENDAR_COMPONENT) {
                dump_naming(root, &naming);
                dump_calendar(root, &events, &nevents, &errors);
            } else if (k == ICAL_XROOT_COMPONENT) {
                int ncal = 0;
                for (icalcomponent *c =
                         icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
                     c; c = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT)) {
                    if (!ncal++)
                        dump_naming(c, &naming);
                    dump_calendar(c, &events, &nevents, &errors);
                }
                if (!ncal)
                    sl_add(&errors, "no VCALENDAR component");
            } else {
                collect_errors(root, &errors);
                sl_addf(&errors, "no VCALENDAR component (top level is %s)",
                        icalcomponent_kind_to_string(k));
            }
            icalcomponent_free(root);
        }
        free(text);
    }

    sb_json_str(out, path);
    sb_puts(out, ": {\"events\": [");
    if (nevents) {
        sb_puts(out, "\n    ");
        sb_puts(out, events.p);
        sb_puts(out, "\n   ");
    }
    sb_puts(out, "], \"calendar\": ");
    sb_puts(out, naming.p ? naming.p : "null");
    sb_puts(out, ", \"errors\": ");
    sb_json_list(out, &errors);
    sb_puts(out, "}");
    free(naming.p);
    int ok = errors.count == 0;
    free(events.p);
    sl_free(&errors);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: libical_dump FILE...\n", stderr);
        return 2;
    }
    icalerror_set_errors_are_fatal(0);
    sbuf out = {0};
    int ok = 1;
    sb_puts(&out, "{\"files\": {");
    for (int i = 1; i < argc; i++) {
        sb_puts(&out, i > 1 ? ",\n  " : "\n  ");
        if (!dump_file(argv[i], &out))
            ok = 0;
        icalmemory_free_ring(); /* release the ring buffer between files */
    }
    sb_puts(&out, "\n}}\n");
    fwrite(out.p, 1, out.n, stdout);
    free(out.p);
    return ok ? 0 : 1;
}

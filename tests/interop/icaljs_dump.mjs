#!/usr/bin/env node
// Dump every VEVENT of the given .ics files as normalized JSON, as ical.js
// (the parser behind Thunderbird) understands them.
//
// usage: node icaljs_dump.mjs FILE...
// stdout: {"files": {PATH: {"events": [...], "errors": [...]}}}
// exit:   0 when every file parsed without error, 1 otherwise, 2 on bad usage.
//
// UTC times are computed by ical.js itself from the VTIMEZONEs of the same
// file: the time zone registry is reset for every VCALENDAR and its VTIMEZONEs
// are registered with ICAL.TimezoneService before any event is read.

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const pad = (n, w = 2) => String(n).padStart(w, "0");

// Wall-clock value as written: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS".
function localString(t) {
  const date = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
  return t.isDate ? date : `${date}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

function isFloating(t) {
  return !t.zone || t.zone === ICAL.Timezone.localTimezone || t.zone.tzid === "floating";
}

// UTC ISO string, or null for DATE values and floating times (no instant).
function utcString(t) {
  if (t.isDate || isFloating(t)) return null;
  const u = t.convertToZone(ICAL.Timezone.utcTimezone);
  if (u.zone !== ICAL.Timezone.utcTimezone) throw new Error("conversion to UTC failed");
  // Cross-check against the epoch-based path; both go through zone.utcOffset().
  const viaUnix = new Date(t.toUnixTime() * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const iso = `${localString(u)}Z`;
  if (iso !== viaUnix) throw new Error(`convertToZone ${iso} != toUnixTime ${viaUnix}`);
  return iso;
}

function valueString(v) {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : v.toString();
}

function dumpEvent(vevent, index, errors) {
  const where = () => {
    let uid = null;
    try { uid = vevent.getFirstPropertyValue("uid"); } catch { /* reported below */ }
    return `VEVENT #${index}${uid ? ` (${uid})` : ""}`;
  };
  const safe = (field, fn, fallback = null) => {
    try {
      return fn();
    } catch (e) {
      errors.push(`${where()} ${field}: ${e && e.message ? e.message : e}`);
      return fallback;
    }
  };
  const first = (name) => safe(name, () => valueString(vevent.getFirstPropertyValue(name)));
  const all = (name) =>
    safe(name, () => vevent.getAllProperties(name).flatMap((p) => p.getValues().map(valueString)), []);

  const dtstartProp = vevent.getFirstProperty("dtstart");
  const dtstart = dtstartProp ? safe("dtstart", () => dtstartProp.getFirstValue()) : null;
  if (!dtstartProp) errors.push(`${where()}: no DTSTART`);

  // End: DTEND, else DTSTART + DURATION, else null (no implied end).
  const end = safe("dtend", () => {
    const dtend = vevent.getFirstPropertyValue("dtend");
    if (dtend) return dtend;
    const duration = vevent.getFirstPropertyValue("duration");
    if (duration && dtstart) {
      const e = dtstart.clone();
      e.addDuration(duration);
      return e;
    }
    return null;
  });

  const seq = first("sequence");
  return {
    uid: first("uid"),
    summary: first("summary"),
    description: first("description"),
    location: first("location"),
    url: first("url"),
    status: first("status"),
    sequence: seq === null ? null : safe("sequence", () => {
      const n = Number.parseInt(seq, 10);
      if (!Number.isInteger(n)) throw new Error(`not an integer: ${seq}`);
      return n;
    }),
    categories: all("categories"),
    start_utc: dtstart ? safe("dtstart", () => utcString(dtstart)) : null,
    end_utc: end ? safe("dtend", () => utcString(end)) : null,
    start_local: dtstart ? localString(dtstart) : null,
    end_local: end ? localString(end) : null,
    all_day: dtstart ? !!dtstart.isDate : null,
    tzid: dtstartProp ? dtstartProp.getParameter("tzid") ?? null : null,
    floating: dtstart ? !dtstart.isDate && isFloating(dtstart) : null,
    conference: all("conference"),
    attach: all("attach"),
  };
}

function dumpCalendar(vcalendar, events, errors) {
  // One registry per calendar, so files (and calendars) never share zones.
  ICAL.TimezoneService.reset();
  for (const vtz of vcalendar.getAllSubcomponents("vtimezone")) {
    try {
      const tz = new ICAL.Timezone(vtz);
      if (!tz.tzid) throw new Error("VTIMEZONE without TZID");
      ICAL.TimezoneService.register(tz);
    } catch (e) {
      errors.push(`VTIMEZONE: ${e.message}`);
    }
  }
  for (const vevent of vcalendar.getAllSubcomponents("vevent")) {
    events.push(dumpEvent(vevent, events.length + 1, errors));
  }
}

function dumpFile(path) {
  const events = [];
  const errors = [];
  let raw;
  try {
    raw = readFileSync(path);
  } catch (e) {
    return { events, errors: [`read: ${e.message}`] };
  }
  // ical.js works on strings, so bytes are decoded before lines are unfolded:
  // a fold inside a UTF-8 sequence cannot be repaired here (nor in clients).
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    errors.push("read: not valid UTF-8; decoded with U+FFFD");
    text = new TextDecoder("utf-8").decode(raw);
  }
  let jcal;
  try {
    jcal = ICAL.parse(text);
  } catch (e) {
    return { events, errors: [`parse: ${e.message}`] };
  }
  // ICAL.parse returns one component, or a list when there are several.
  const roots = Array.isArray(jcal) && Array.isArray(jcal[0]) ? jcal : [jcal];
  const calendars = roots.map((r) => new ICAL.Component(r)).filter((c) => c.name === "vcalendar");
  if (calendars.length === 0) errors.push("no VCALENDAR component");
  const calendar = calendars.length ? naming(calendars[0]) : null;
  for (const cal of calendars) {
    try {
      dumpCalendar(cal, events, errors);
    } catch (e) {
      errors.push(`calendar: ${e.message}`);
    }
  }
  return { events, calendar, errors };
}

// The calendar's naming properties as ical.js gives them to an application.
function naming(vcalendar) {
  const found = {};
  for (const name of ["name", "x-wr-calname", "x-wr-caldesc", "description"]) {
    const prop = vcalendar.getFirstProperty(name);
    const value = prop ? prop.getFirstValue() : null;
    found[name] = value === null || value === undefined ? null : String(value);
  }
  return found;
}

const paths = process.argv.slice(2);
if (paths.length === 0) {
  process.stderr.write("usage: node icaljs_dump.mjs FILE...\n");
  process.exit(2);
}
const files = {};
let ok = true;
for (const path of paths) {
  files[path] = dumpFile(path);
  if (files[path].errors.length) ok = false;
}
process.stdout.write(JSON.stringify({ files }, null, 1) + "\n");
process.exitCode = ok ? 0 : 1;

// ical-generator on the same events as calfeed: the whole feed and one file per event.
//
//   node generate.mjs EVENTS.json [--iterations N] [--out DIR]
//
// EVENTS.json is written by bench/run.py from calfeed's own model (see dump_events
// there): {calendar: {...}, events: [{id, uid, title, description, location, url,
// start, end, tzid, categories, status, sequence, dtstamp, lastModified, attachments}]}.
// start/end are ISO 8601 local times with their UTC offset; tzid is the IANA zone.
//
// Time zones: ical-generator writes DTSTART;TZID=... from a zone-aware date object
// (Luxon here, one of the libraries its README lists) and a VTIMEZONE for every zone
// its events use through the calendar's `timezone.generator`, which is
// getVtimezoneComponent from @touch4it/ical-timezones (prebuilt VTIMEZONE text per
// zone, read from its package). The generator is memoized per zone, as a careful user
// would do; otherwise every per-event file would read the zone's file from disk again.
// The calendar timezone's name is null so that DTSTAMP/LAST-MODIFIED stay in UTC (with
// a name, ical-generator writes them as local times); X-WR-TIMEZONE is added as an
// X- property instead.
//
// Only generation is timed (process.hrtime.bigint): from the parsed JSON to every
// byte (Buffer) of the feed and of each per-event file. Reading the JSON, starting
// node and writing files (--out, for checking the output) are outside the timing.
// Prints one JSON object per run of the timings, in milliseconds.

import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ical from 'ical-generator';
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import { DateTime } from 'luxon';

function parseArgs(argv) {
    const args = { file: null, iterations: 1, out: null };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--iterations') args.iterations = Number(argv[++i]);
        else if (argv[i] === '--out') args.out = argv[++i];
        else args.file = argv[i];
    }
    if (!args.file) {
        console.error('usage: node generate.mjs EVENTS.json [--iterations N] [--out DIR]');
        process.exit(2);
    }
    return args;
}

const zoneCache = new Map();
function vtimezone(tzid) {
    let found = zoneCache.get(tzid);
    if (found === undefined) {
        found = getVtimezoneComponent(tzid);
        zoneCache.set(tzid, found);
    }
    return found;
}

function newCalendar(meta, name) {
    const cal = ical({
        name,
        description: meta.description,
        url: meta.url,
        prodId: '//calfeed-bench//ical-generator//EN',
        scale: 'GREGORIAN',
        ttl: meta.refreshSeconds,
        timezone: { name: null, generator: vtimezone },
    });
    cal.x('X-WR-TIMEZONE', meta.timezone);
    return cal;
}

function eventData(event) {
    return {
        id: event.uid,
        sequence: event.sequence,
        stamp: new Date(event.dtstamp),
        lastModified: event.lastModified ? new Date(event.lastModified) : null,
        start: DateTime.fromISO(event.start, { zone: event.tzid }),
        end: DateTime.fromISO(event.end, { zone: event.tzid }),
        timezone: event.tzid,
        summary: event.title,
        description: event.description,
        location: event.location || null,
        url: event.url || null,
        categories: event.categories.map((name) => ({ name })),
        status: event.status,
        attachments: event.attachments,
    };
}

function generate(data) {
    const { calendar: meta, events } = data;
    const started = process.hrtime.bigint();
    const cal = newCalendar(meta, meta.name);
    for (const event of events) cal.createEvent(eventData(event));
    const feed = Buffer.from(cal.toString(), 'utf8');
    const feedDone = process.hrtime.bigint();
    const files = new Map();
    for (const event of events) {
        const one = newCalendar(meta, meta.name);
        one.createEvent(eventData(event));
        files.set(event.id, Buffer.from(one.toString(), 'utf8'));
    }
    const done = process.hrtime.bigint();
    return {
        feed,
        files,
        timings: {
            feed_ms: Number(feedDone - started) / 1e6,
            events_ms: Number(done - feedDone) / 1e6,
            total_ms: Number(done - started) / 1e6,
        },
    };
}

const args = parseArgs(process.argv.slice(2));
const data = JSON.parse(readFileSync(args.file, 'utf8'));
const runs = [];
let last = null;
for (let i = 0; i < args.iterations; i++) {
    last = generate(data);
    runs.push(last.timings);
}
let eventBytes = 0;
for (const body of last.files.values()) eventBytes += body.length;
if (args.out) {
    mkdirSync(join(args.out, 'events'), { recursive: true });
    writeFileSync(join(args.out, 'calendar.ics'), last.feed);
    for (const [id, body] of last.files) writeFileSync(join(args.out, 'events', `${id}.ics`), body);
}
const pkg = JSON.parse(readFileSync(new URL('./node_modules/ical-generator/package.json', import.meta.url), 'utf8'));
console.log(JSON.stringify({
    node: process.version,
    icalGenerator: pkg.version,
    events: data.events.length,
    feedBytes: last.feed.length,
    eventFiles: last.files.size,
    eventBytes,
    runs,
}));

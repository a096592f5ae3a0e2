// calfeed: find, filter, the day by room, now and next, picks kept in the browser, details on demand,
// copy buttons and times in the reader's own zone. No framework. Without this file the page is a
// plain list, and the picked events still submit as a form.
"use strict";

(function () {
  var list, rows, byId, base, calendarName, dynamic, params, googleLimit;
  var abstracts = null; // search.json, folded for matching; fetched on the first search
  var SEARCH = ["q"], FACETS = ["day", "track", "room", "kind"];

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // -- the events, as the list has them ---------------------------------------------------------

  function readRows() {
    return Array.prototype.map.call(list.querySelectorAll("li[id^='e-']"), function (li) {
      var time = li.querySelector("time");
      var start = new Date(time.getAttribute("datetime"));
      var room = li.querySelector(".room"), day = li.closest("[data-day]");
      return {
        li: li,
        id: li.id.slice(2),
        day: day.getAttribute("data-day"),
        start: start,
        end: new Date(start.getTime() + 60000 * Number(time.getAttribute("data-m"))),
        time: time.textContent,
        title: li.querySelector("h4").textContent,
        who: (li.querySelector(".who") || {}).textContent || "",
        room: room ? room.textContent : day.getAttribute("data-room") || "",
        cancelled: li.classList.contains("cancelled"),
        kind: li.getAttribute("data-k"),
        box: li.querySelector('input[name="events"]'),
        track: li.getAttribute("data-t"),
        roomIndex: li.getAttribute("data-r"),
        text: fold(li.textContent)
      };
    });
  }

  // -- feeds and subscribe links ----------------------------------------------------------------

  var GOOGLE = "https://calendar.google.com/calendar/render?cid=";

  function webcal(url) {
    return "webcal://" + url.replace(/^[a-z]+:\/\//i, "");
  }

  function absolute(url) {
    try { return new URL(url, document.baseURI).href; } catch (error) { return url; }
  }

  function setupSubscribe() {
    // A page served without a base URL holds no absolute link of its own (nothing a request
    // says reaches it): its feed URLs are relative and the subscribe buttons go through the
    // server's subscribe/ redirects. The browser knows the page's own URL: write the links in place.
    document.querySelectorAll("a[data-absolute]").forEach(function (link) {
      link.textContent = absolute(link.getAttribute("href"));
    });
    var input = $("feed-url");
    if (!input || /^[a-z]+:/i.test(input.value)) { return; } // a base URL: the links are absolute already
    ["feed-url", "google-feed-url"].forEach(function (id) { if ($(id)) { $(id).value = absolute($(id).value); } });
    var feed = input.value;
    var query = "url=" + encodeURIComponent(feed) + "&name=" + encodeURIComponent(document.title);
    setLink("subscribe-webcal", webcal(feed), true);
    setLink("subscribe-outlook", "https://outlook.live.com/calendar/0/addfromweb?" + query, true);
    setLink("subscribe-office", "https://outlook.office.com/calendar/0/addfromweb?" + query, true);
    // Each Google button names the feed Google reads whole (the feed or its compact twin).
    document.querySelectorAll("a[data-feed]").forEach(function (link) {
      link.href = GOOGLE + encodeURIComponent(absolute(link.getAttribute("data-feed")));
    });
  }

  function setLink(id, href, enabled) {
    var link = $(id);
    if (!link) { return; }
    link.href = href;
    if (enabled) { link.removeAttribute("aria-disabled"); } else { link.setAttribute("aria-disabled", "true"); }
  }

  // Short personal feed URLs, p/<code>.ics: the same code as calfeed/shortlink.py writes.
  // Each event's 64-bit hash comes from its checkbox (data-hash); the width is the
  // narrowest, from 24 bits, at which every picked event's hash is its own.
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var MIN_WIDTH = 24;
  var MAX_WIDTH = 64;

  function encodeHashes(values, width) {
    values = values.slice().sort(function (a, b) { return a < b ? -1 : (a > b ? 1 : 0); });
    var count = values.length;
    var binary = count.toString(2);
    var bits = ["0".repeat(binary.length - 1) + binary];
    var k = Math.max(0, width - binary.length);
    var mask = (1n << BigInt(k)) - 1n;
    var previous = -1n;
    values.forEach(function (value) {
      var gap = value - previous - 1n;
      previous = value;
      bits.push("1".repeat(Number(gap >> BigInt(k))) + "0" + (k ? (gap & mask).toString(2).padStart(k, "0") : ""));
    });
    var stream = bits.join("");
    stream += "0".repeat((6 - stream.length % 6) % 6);
    var code = ALPHABET.charAt(width - 16);
    for (var i = 0; i < stream.length; i += 6) { code += ALPHABET.charAt(parseInt(stream.slice(i, i + 6), 2)); }
    return code;
  }

  function shortCode(chosen, all) {
    if (typeof BigInt === "undefined" || chosen.length === 0 || chosen.length > 1000) { return null; }
    var hashes = all.map(function (hex) { return BigInt("0x" + hex); });
    var picked = Array.from(new Set(chosen)).map(function (hex) { return BigInt("0x" + hex); });
    for (var width = MIN_WIDTH; width <= MAX_WIDTH; width++) {
      var shift = BigInt(MAX_WIDTH - width);
      var counts = new Map();
      hashes.forEach(function (hash) {
        var key = (hash >> shift).toString(16);
        counts.set(key, (counts.get(key) || 0) + 1);
      });
      var unique = picked.every(function (hash) { return counts.get((hash >> shift).toString(16)) === 1; });
      if (unique) { return encodeHashes(picked.map(function (hash) { return hash >> shift; }), width); }
    }
    return null;
  }
  window.calfeedShortCode = shortCode;

  function hashOf(row) { return row.box ? row.box.getAttribute("data-hash") : null; }

  // The one place a personal feed's URL is made: p/<code>.ics from the events' hashes, or the
  // ids in calendar.ics?events= when no code names them (an event without a hash, a shared hash).
  function personalFeedUrl(ids, alarm) {
    var chosen = ids.map(function (id) { return byId[id]; });
    var hashes = chosen.every(function (row) { return row && hashOf(row); }) ? chosen.map(hashOf) : [];
    var code = hashes.length ? shortCode(hashes, rows.map(hashOf).filter(Boolean)) : null;
    if (code) { return base + "p/" + code + ".ics" + (alarm ? "?alarm=" + alarm : ""); }
    return base + "calendar.ics?events=" + ids.map(encodeURIComponent).join(",") + (alarm ? "&alarm=" + alarm : "");
  }

  function sizes(chosen) {
    // The bytes of the events' VEVENTs in the full and the compact feeds (each checkbox says).
    return chosen.reduce(function (sum, row) {
      return row.box ? [sum[0] + Number(row.box.getAttribute("data-bytes")),
        sum[1] + Number(row.box.getAttribute("data-compact-bytes"))] : [NaN, NaN];
    }, [0, 0]);
  }

  function compactUrl(url) { return url.replace(/\.ics(\?|$)/, ".compact.ics$1"); }

  function googleFeed(url, chosen, alarm) {
    // Google Calendar reads a feed only up to its limit: beyond it, the compact twin; beyond that, none.
    var bytes = sizes(chosen), extra = 8192 + chosen.length * (alarm ? 120 : 0);
    if (!(bytes[0] + extra > googleLimit)) { return url; } // unknown sizes (NaN): the feed itself
    return bytes[1] + extra <= googleLimit ? compactUrl(url) : null;
  }

  function setLinks(prefix, url, name, google, enabled) {
    // google: the URL of the feed Google Calendar reads whole (the feed or its compact twin); null for none.
    var query = "url=" + encodeURIComponent(url) + "&name=" + encodeURIComponent(name);
    setLink(prefix + "-webcal", webcal(url), enabled);
    setLink(prefix + "-outlook", "https://outlook.live.com/calendar/0/addfromweb?" + query, enabled);
    setLink(prefix + "-office", "https://outlook.office.com/calendar/0/addfromweb?" + query, enabled);
    var note = prefix === "subscribe" ? "google-too-big" : prefix + "-google-too-big";
    setLink(prefix + "-google", google ? GOOGLE + encodeURIComponent(google) : "#" + note, enabled && !!google);
    if ($(note)) { $(note).hidden = !enabled || !!google; }
  }

  // -- find and filter --------------------------------------------------------------------------

  function select(facet) { return $("f-" + facet); }

  function optionValue(facet, index) {
    var options = select(facet) ? select(facet).options : [];
    return index !== null && options[Number(index) + 1] ? options[Number(index) + 1].value : "";
  }

  function filters() {
    var chosen = {};
    FACETS.forEach(function (facet) {
      if (select(facet) && select(facet).value) { chosen[facet] = select(facet).value; }
    });
    return chosen;
  }

  function matches(row, chosen, words) {
    if (chosen.day && row.day !== chosen.day) { return false; }
    if (chosen.kind && row.kind !== chosen.kind) { return false; }
    if (chosen.track && optionValue("track", row.track) !== chosen.track) { return false; }
    if (chosen.room && optionValue("room", row.roomIndex) !== chosen.room) { return false; }
    var abstract = abstracts && abstracts[row.id] || "";
    return words.every(function (word) { return row.text.indexOf(word) >= 0 || abstract.indexOf(word) >= 0; });
  }

  function loadAbstracts() {
    if (abstracts !== null) { return; }
    abstracts = {};
    fetch("search.json").then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (data) {
        Object.keys(data).forEach(function (id) { abstracts[id] = fold(data[id]); });
        apply();
      }, function () { /* titles, speakers, rooms still match */ });
  }

  function filterGoogle(chosen, feed) {
    // One filter: the option says whether its feed (""), its compact twin ("c") or none ("-") fits
    // Google Calendar; several: the server's filtered feed, sized from the events it holds.
    var names = Object.keys(chosen);
    if (names.length === 1) {
      var fits = select(names[0]).selectedOptions[0].getAttribute("data-g") || "";
      return fits === "-" ? null : (fits === "c" ? compactUrl(feed) : feed);
    }
    return googleFeed(feed, rows.filter(function (row) { return matches(row, chosen, []); }), "");
  }

  function filterFeed(chosen) {
    var names = Object.keys(chosen);
    if (names.length === 1) {
      return base + select(names[0]).getAttribute("data-folder") + "/" + chosen[names[0]] + ".ics";
    }
    if (names.length > 1 && dynamic) {
      return base + "calendar.ics?" + names.map(function (name) {
        return name + "=" + encodeURIComponent(chosen[name]);
      }).join("&");
    }
    return null;
  }

  function filterName(chosen) {
    return calendarName + " (" + Object.keys(chosen).map(function (name) {
      return select(name).options[select(name).selectedIndex].text;
    }).join(", ") + ")";
  }

  function apply() {
    var chosen = filters();
    var query = $("f-q").value.trim();
    var words = fold(query).split(/\s+/).filter(Boolean);
    if (words.length) { loadAbstracts(); }
    var shown = 0;
    rows.forEach(function (row) {
      row.shown = matches(row, chosen, words);
      row.li.hidden = !row.shown;
      if (row.shown) { shown += 1; }
    });
    list.querySelectorAll("section.day").forEach(function (day) {
      day.hidden = !day.querySelector("li[id^='e-']:not([hidden])");
    });
    var filtered = words.length || Object.keys(chosen).length;
    $("f-count").textContent = filtered ? shown + " of " + rows.length + " events match." : rows.length + " events.";
    // The URL says what is shown: a link to it opens the same selection.
    var search = new URLSearchParams(location.search);
    FACETS.concat(SEARCH).forEach(function (name) { search.delete(name); });
    Object.keys(chosen).forEach(function (name) { search.set(name, chosen[name]); });
    if (query) { search.set("q", query); }
    if (view === "grid") { search.set("view", "grid"); } else { search.delete("view"); }
    var text = search.toString();
    history.replaceState(null, "", location.pathname + (text ? "?" + text : "") + location.hash);
    // The subscribe box offers the feed of the filters (a search narrows the page only).
    var feed = Object.keys(chosen).length ? filterFeed(chosen) : null;
    var feedUrl = $("feed-url");
    $("f-feed").hidden = !Object.keys(chosen).length;
    $("f-feed-url").textContent = feed || "pick one filter for its feed";
    if (feed) { $("f-feed-url").href = feed; } else { $("f-feed-url").removeAttribute("href"); }
    if (feed) {
      var google = filterGoogle(chosen, feed);
      feedUrl.value = feed;
      setLinks("subscribe", feed, filterName(chosen), google, true);
      $("subscribe-google").parentNode.hidden = !google;
      $("google-fallback").hidden = !google;
      if ($("google-feed-url")) { $("google-feed-url").value = google || feed; }
    } else {
      restore();
    }
    $("subscribe-scope").hidden = !feed;
    $("subscribe-scope").textContent = feed ? "These buttons subscribe to the events the program's filters show: " +
      filterName(chosen) + ". Clear the filters for the whole schedule." : "";
    if (today) { drawNow(); }
    if (view === "grid") { drawGrid(); }
  }

  var originals = [];

  function restore() {
    // The subscribe box as the page came, for the whole schedule.
    originals.forEach(function (item) {
      if (!item[3]) { item[0][item[1]] = item[2]; }
      else if (item[2] === null) { item[0].removeAttribute(item[1]); }
      else { item[0].setAttribute(item[1], item[2]); }
    });
  }

  function setupFilters() {
    document.querySelectorAll("#subscribe a[id^='subscribe-']").forEach(function (link) {
      originals.push([link, "href", link.href]);
      originals.push([link.parentNode, "hidden", link.parentNode.hidden]);
      originals.push([link, "aria-disabled", link.getAttribute("aria-disabled"), true]);
    });
    ["feed-url", "google-feed-url"].forEach(function (id) { if ($(id)) { originals.push([$(id), "value", $(id).value]); } });
    ["google-too-big", "google-fallback"].forEach(function (id) { originals.push([$(id), "hidden", $(id).hidden]); });
    FACETS.forEach(function (facet) {
      var box = select(facet);
      if (!box) { return; }
      box.value = params.get(facet) || (facet === "day" ? openDay : "");
      if (box.selectedIndex < 0) { box.value = ""; }
      box.addEventListener("change", apply);
    });
    $("f-q").value = params.get("q") || "";
    $("f-q").addEventListener("input", apply);
    $("f-clear").addEventListener("click", function () {
      FACETS.forEach(function (facet) { if (select(facet)) { select(facet).value = ""; } });
      $("f-q").value = "";
      apply();
    });
    $("finder").hidden = false;
  }

  // -- the day by room --------------------------------------------------------------------------

  var view = "list";

  function setView(name) {
    view = name;
    $("v-list").setAttribute("aria-pressed", String(name === "list"));
    $("v-grid").setAttribute("aria-pressed", String(name === "grid"));
    list.hidden = name === "grid";
    $("grid").hidden = name !== "grid";
    apply();
  }

  function gridDay() {
    var chosen = select("day") && select("day").value;
    if (chosen) { return chosen; }
    var current = rows.filter(function (row) { return row.shown && row.day === todayIn(); })[0];
    var first = current || rows.filter(function (row) { return row.shown; })[0];
    return first ? first.day : null;
  }

  function drawGrid() {
    // Rooms as columns; as rows, each start time of the day (a session holding talks gets a heading row
    // of its own above them), so short talks stay readable beside long ones.
    var grid = $("grid"), day = gridDay();
    grid.textContent = "";
    var shown = rows.filter(function (row) { return row.shown && row.day === day; });
    if (!shown.length) { grid.appendChild(el("p", "note", "No events match.")); return; }
    var label = $("day-" + day).querySelector("h3").firstChild.textContent.trim();
    grid.appendChild(el("h3", "grid-day", label + (select("day") && !select("day").value ? " (choose the day above)" : "")));
    var rooms = [];
    shown.forEach(function (row) { if (rooms.indexOf(row.room) < 0) { rooms.push(row.room); } });
    rooms.sort();
    var minute = function (date) { return Math.round(date.getTime() / 60000); };
    var heading = function (row) {
      return row.li.classList.contains("session") && shown.some(function (talk) {
        return talk.li.classList.contains("talk") && talk.room === row.room && talk.start >= row.start && talk.start < row.end;
      });
    };
    var key = function (row) { return 2 * minute(row.start) + (heading(row) ? 0 : 1); };
    var keys = [];
    shown.forEach(function (row) { if (keys.indexOf(key(row)) < 0) { keys.push(key(row)); } });
    keys.sort(function (a, b) { return a - b; });
    var line = function (value) { // the grid line of the first row at or after a key
      var index = keys.findIndex(function (k) { return k >= value; });
      return 2 + (index < 0 ? keys.length : index);
    };
    var table = el("div", "grid");
    table.style.gridTemplateColumns = "4rem repeat(" + rooms.length + ", minmax(9rem, 1fr))";
    rooms.forEach(function (room, index) {
      var head = el("div", "room-head", room || "(no room)");
      head.style.gridColumn = String(index + 2);
      table.appendChild(head);
    });
    var last = null;
    shown.slice().sort(function (a, b) { return key(a) - key(b) || rooms.indexOf(a.room) - rooms.indexOf(b.room); })
      .forEach(function (row) {
        var top = line(key(row));
        if (row.time.slice(0, 5) !== last) {
          last = row.time.slice(0, 5);
          var at = el("div", "at", last);
          at.style.gridRow = String(top);
          at.style.gridColumn = "1";
          table.appendChild(at);
        }
        var cell = el("div", "cell" + (row.cancelled ? " cancelled" : "") + (picked(row) ? " mine" : "") +
          (heading(row) ? " session-head" : ""));
        cell.setAttribute("data-id", row.id);
        cell.style.gridColumn = String(rooms.indexOf(row.room) + 2);
        cell.style.gridRow = top + " / " + (heading(row) ? top + 1 : Math.max(line(2 * minute(row.end)), top + 1));
        var link = el("a", null, row.title);
        link.href = "#e-" + row.id;
        link.addEventListener("click", function (event) { event.preventDefault(); showInList(row); });
        cell.appendChild(el("span", "cell-time", row.time + (row.cancelled ? " · Cancelled" : "")));
        cell.appendChild(link);
        if (row.who) { cell.appendChild(el("span", "cell-who", row.who)); }
        cell.appendChild(el("span", "cell-room", row.room));
        table.appendChild(cell);
      });
    grid.appendChild(table);
  }

  function showInList(row) {
    setView("list");
    row.li.querySelector("details").open = true;
    row.li.scrollIntoView({ block: "start" });
    row.li.querySelector("summary").focus();
  }

  // -- details on demand ------------------------------------------------------------------------

  function addLink(parent, text, href, className) {
    var link = el("a", className, text);
    link.href = href;
    parent.appendChild(link);
    return link;
  }

  function fillDetails(box, id) {
    box.setAttribute("data-loaded", "");
    var body = el("div", "details-body", "Loading…");
    box.appendChild(body);
    fetch("details/" + encodeURIComponent(id) + ".json").then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (data) {
      body.textContent = "";
      if (data.abstract) { body.appendChild(el("p", "abstract", data.abstract)); }
      var links = el("p", "links");
      if (data.stream) { addLink(links, "Livestream", data.stream, "stream"); }
      data.links.forEach(function (pair) { addLink(links, pair[0], pair[1]); });
      if (links.childNodes.length) { body.appendChild(links); }
      var copy = el("p", "actions", "One-off copy (will not update): ");
      addLink(copy, "Download .ics", data.ics, "download").setAttribute("download", id + ".ics");
      addLink(copy, "Add to Google Calendar", data.google, "google");
      addLink(copy, "Add to Outlook.com", data.outlook, "outlook");
      addLink(copy, "Add to Microsoft 365", data.office, "office");
      body.appendChild(copy);
    }).catch(function () {
      body.textContent = "The details could not be loaded. ";
      addLink(body, "Download .ics", "events/" + id + ".ics");
    });
  }

  function setupDetails() {
    // Each event gets its details here: without JavaScript there is nothing to fetch them with.
    rows.forEach(function (row) {
      var box = el("details"), summary = el("summary", null, "Details");
      summary.setAttribute("aria-label", "Details: " + row.title);
      box.appendChild(summary);
      row.li.appendChild(box);
      if (row.box) { row.box.setAttribute("aria-label", "Pick " + row.title); }
    });
    document.addEventListener("toggle", function (event) {
      var box = event.target;
      if (box.tagName === "DETAILS" && box.open && !box.hasAttribute("data-loaded") && box.closest("li[id^='e-']")) {
        fillDetails(box, box.closest("li").id.slice(2));
      }
    }, true);
  }

  // -- pick and keep ----------------------------------------------------------------------------

  var storeKey;

  function picked(row) {
    return row.box ? row.box.checked : false;
  }

  function stored() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || []; } catch (error) { return []; }
  }

  function setupPicks() {
    var form = $("personal-form");
    if (!form) { return; }
    storeKey = "calfeed.picked " + base;
    var alarm = $("alarm");
    $("personal-nojs").hidden = true; // the links below do its job, and follow changes
    $("personal-links").hidden = false;
    var keep = stored();
    form.querySelectorAll('input[name="events"]').forEach(function (box) {
      box.checked = keep.indexOf(box.value) >= 0;
    });
    if (localStorage.getItem(storeKey + " alarm")) { alarm.value = localStorage.getItem(storeKey + " alarm"); }

    function update() {
      var chosen = rows.filter(picked);
      var ids = chosen.map(function (row) { return row.id; });
      try {
        localStorage.setItem(storeKey, JSON.stringify(ids));
        localStorage.setItem(storeKey + " alarm", alarm.value);
      } catch (error) { /* private mode: the picks last as long as the page */ }
      var url = personalFeedUrl(ids, alarm.value);
      var google = googleFeed(url, chosen, alarm.value);
      var noun = ids.length === 1 ? " event" : " events";
      $("personal-url").value = ids.length ? url : "";
      $("personal-url").placeholder = "Pick events in the program first";
      $("personal-count").textContent = ids.length ? ids.length + noun + " in your feed:" : "No events picked yet.";
      $("picked").hidden = !ids.length;
      $("picked-count").textContent = ids.length + noun + " picked";
      setLinks("personal", url, $("personal-url").getAttribute("data-name"), google, ids.length > 0);
      var mine = $("mine");
      mine.textContent = "";
      chosen.forEach(function (row) {
        var item = el("li", row.cancelled ? "cancelled" : null);
        item.appendChild(el("span", "brief-time", dayLabel(row.day) + " " + row.time));
        addLink(item, row.title, "#e-" + row.id);
        if (row.room) { item.appendChild(el("span", "brief-room", row.room)); }
        mine.appendChild(item);
      });
      mine.hidden = !ids.length;
      if (view === "grid") { drawGrid(); }
      // The QR code of the very URL shown (the page has it only when its base URL is known):
      // subscribe.svg?p=<code> for p/<code>.ics, else the feed's own query.
      var qr = $("personal-qr");
      if (qr) {
        qr.hidden = !ids.length;
        var rest = url.slice(base.length), query = rest.indexOf("?") >= 0 ? rest.slice(rest.indexOf("?") + 1) : "";
        var short = /^p\/([^.?]+)\.ics/.exec(rest);
        if (ids.length) { qr.src = "subscribe.svg?" + (short ? "p=" + short[1] + (query ? "&" + query : "") : query); }
      }
    }

    form.addEventListener("change", update);
    update();
  }

  // -- time -------------------------------------------------------------------------------------

  var clock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }; // one clock format: the page's 24 hours

  function dayLabel(iso) {
    var option = select("day") && select("day").querySelector('option[value="' + iso + '"]');
    return option ? option.textContent : iso;
  }

  function todayIn() {
    // Today where the conference is (the calendar's zone), as YYYY-MM-DD.
    return new Intl.DateTimeFormat("en-CA", { timeZone: list.getAttribute("data-zone") }).format(now());
  }

  function localDate(date) {
    return date.getFullYear() + "-" + String(date.getMonth() + 1).padStart(2, "0") + "-" +
      String(date.getDate()).padStart(2, "0");
  }

  function setupLocalTimes() {
    // The reader's own time beside the event's when their zones differ, with the date when it differs too.
    var time = new Intl.DateTimeFormat(undefined, clock);
    var zoned = new Intl.DateTimeFormat(undefined, Object.assign({ timeZoneName: "short" }, clock));
    var dated = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
    rows.forEach(function (row) {
      var offset = row.li.querySelector("time").getAttribute("datetime").slice(-6);
      var minutes = -row.start.getTimezoneOffset();
      var mine = (minutes >= 0 ? "+" : "-") + String(Math.floor(Math.abs(minutes) / 60)).padStart(2, "0") + ":" +
        String(Math.abs(minutes) % 60).padStart(2, "0");
      if (isNaN(row.start) || offset === mine) { return; }
      var date = localDate(row.start) !== row.day ? dated.format(row.start) + ", " : "";
      var yours = el("span", "yours", "Your time: " + date + time.format(row.start) + "–" + zoned.format(row.end));
      row.li.querySelector("time").after(yours);
    });
  }

  // -- now and next -----------------------------------------------------------------------------

  function now() {
    var given = params.get("now"); // for a screen set to a moment, and for tests
    var date = given ? new Date(given) : new Date();
    return isNaN(date) ? new Date() : date;
  }

  var today = null, openDay = ""; // set on the conference's days only

  function drawNow() {
    // What is on now and next among the events the filters show.
    var items = $("now-list"), at = now();
    var todays = rows.filter(function (row) { return row.shown && row.day === today; });
    var later = todays.filter(function (row) { return row.start > at; });
    var nextStart = Math.min.apply(null, later.map(function (row) { return row.start.getTime(); }));
    items.textContent = "";
    rows.forEach(function (row) { row.li.classList.remove("is-now", "is-next"); });
    [["Now", function (row) { return row.start <= at && at < row.end; }],
     ["Next", function (row) { return row.start.getTime() === nextStart; }]].forEach(function (group) {
      todays.filter(group[1]).forEach(function (row) {
        var item = el("li", "is-" + group[0].toLowerCase() + (row.cancelled ? " cancelled" : ""));
        item.setAttribute("data-id", row.id);
        item.appendChild(el("span", "brief-time", group[0] + " · " + row.time + (row.cancelled ? " · Cancelled" : "")));
        addLink(item, row.title, "#e-" + row.id);
        if (row.room) { item.appendChild(el("span", "brief-room", row.room)); }
        items.appendChild(item);
        row.li.classList.add("is-" + group[0].toLowerCase());
      });
    });
    $("now").hidden = !items.childNodes.length;
  }

  function setupNow() {
    var day = todayIn();
    if (!rows.some(function (row) { return row.day === day; })) { return false; } // not a conference day
    today = day;
    if (!FACETS.concat(SEARCH).some(function (name) { return params.has(name); })) {
      openDay = today; // the page opens at today
    }
    return true;
  }

  // -- copy buttons -----------------------------------------------------------------------------

  function copyText(input, button) {
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.focus();
      input.select();
      try {
        if (document.execCommand("copy")) { done(); }
      } catch (error) { /* the text stays selected for the reader to copy */ }
    }
  }

  function setupCopy() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var input = $(button.getAttribute("data-copy"));
      if (!input) { return; }
      button.hidden = false;
      button.addEventListener("click", function () { copyText(input, button); });
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCopy();
    setupSubscribe();
    list = $("list");
    if (!list) { return; }
    params = new URLSearchParams(location.search);
    // Without a base URL the page's links are relative: its own folder is the base.
    base = absolute(list.getAttribute("data-base") || ".");
    googleLimit = Number(list.getAttribute("data-google-limit"));
    calendarName = list.getAttribute("data-name");
    dynamic = list.getAttribute("data-dynamic") === "1";
    rows = readRows();
    byId = {};
    rows.forEach(function (row) { byId[row.id] = row; });
    setupDetails();
    setupLocalTimes();
    var live = setupNow();
    setupFilters();
    setupPicks();
    $("v-list").addEventListener("click", function () { setView("list"); });
    $("v-grid").addEventListener("click", function () { setView("grid"); });
    setView(params.get("view") === "grid" ? "grid" : "list");
    if (live && !location.hash) { $("now").scrollIntoView({ block: "start" }); }
    if (live && !params.has("now")) { setInterval(drawNow, 60000); } // a venue's screen stays current
  });

  window.calfeed = { personalFeedUrl: function (ids, alarm) { return personalFeedUrl(ids, alarm); } };
}());

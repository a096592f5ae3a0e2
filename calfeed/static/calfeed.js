// calfeed: copy buttons, the personal feed builder and times in the reader's own zone.
// The page works without this file: the ticked events still submit as a form.
"use strict";

(function () {
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
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) { return; }
      button.hidden = false;
      button.addEventListener("click", function () { copyText(input, button); });
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  function webcal(url) {
    return "webcal://" + url.replace(/^[a-z]+:\/\//i, "");
  }

  function setLink(id, href, enabled) {
    var link = document.getElementById(id);
    if (!link) { return; }
    link.href = href;
    if (enabled) { link.removeAttribute("aria-disabled"); } else { link.setAttribute("aria-disabled", "true"); }
  }

  function absolute(url) {
    try { return new URL(url, document.baseURI).href; } catch (error) { return url; }
  }

  function setupSubscribe() {
    // A page served without a base URL holds no absolute link of its own (nothing a request
    // says reaches it): the feed URL is relative and the buttons go through the server's
    // subscribe/ redirects. The browser knows the page's own URL: write the links in place.
    document.querySelectorAll("a[data-absolute]").forEach(function (link) {
      link.textContent = absolute(link.getAttribute("href"));
    });
    var google = document.getElementById("google-feed-url");
    if (google) { google.value = absolute(google.value); }
    var input = document.getElementById("feed-url");
    if (!input) { return; }
    var feed = absolute(input.value);
    if (feed === input.value) { return; }
    input.value = feed;
    var query = "url=" + encodeURIComponent(feed) + "&name=" + encodeURIComponent(document.title);
    setLink("subscribe-webcal", webcal(feed), true);
    // Google gets the https URL, of the compact twin when the page offers one (it reads only ~1 MB).
    var googleFeed = google ? google.value : feed;
    setLink("subscribe-google", "https://calendar.google.com/calendar/render?cid=" + encodeURIComponent(googleFeed), true);
    setLink("subscribe-outlook", "https://outlook.live.com/calendar/0/addfromweb?" + query, true);
    setLink("subscribe-office", "https://outlook.office.com/calendar/0/addfromweb?" + query, true);
  }

  // Short personal feed URLs, p/<code>.ics: the same code as calfeed/shortlink.py writes.
  // Each event's 64-bit hash comes from its checkbox (data-hash); the width is the
  // narrowest, from 24 bits, at which every ticked event's hash is its own.
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

  function setupPersonal() {
    var form = document.getElementById("personal-form");
    var output = document.getElementById("personal-url");
    if (!form || !output) { return; }
    var base = absolute(output.getAttribute("data-base"));
    var name = output.getAttribute("data-name");
    var alarm = document.getElementById("alarm");
    var count = document.getElementById("personal-count");
    var picked = document.getElementById("picked");
    var pickedCount = document.getElementById("picked-count");
    document.getElementById("personal-links").hidden = false;

    var shortBase = absolute(output.getAttribute("data-short"));
    var limit = Number(output.getAttribute("data-google-limit"));
    var allHashes = [];
    form.querySelectorAll('input[name="events"]').forEach(function (box) { allHashes.push(box.getAttribute("data-hash")); });

    function update() {
      var ids = [], hashes = [], bytes = 0, compactBytes = 0;
      form.querySelectorAll('input[name="events"]:checked').forEach(function (box) {
        ids.push(box.value);
        hashes.push(box.getAttribute("data-hash"));
        bytes += Number(box.getAttribute("data-bytes"));
        compactBytes += Number(box.getAttribute("data-compact-bytes"));
      });
      var code = shortCode(hashes, allHashes);
      var query = alarm.value ? "alarm=" + alarm.value : "";
      var url, googleUrl = null;
      if (code) {
        url = shortBase + code + ".ics" + (query ? "?" + query : "");
        // Google reads a feed only up to its limit: beyond it, the compact twin; beyond that, nothing.
        var extra = 8192 + ids.length * (alarm.value ? 120 : 0);
        if (bytes + extra <= limit) { googleUrl = url; }
        else if (compactBytes + extra <= limit) { googleUrl = shortBase + code + ".compact.ics" + (query ? "?" + query : ""); }
      } else {
        url = base + "?events=" + ids.join(",") + (query ? "&" + query : "");
        googleUrl = url;
      }
      var enabled = ids.length > 0;
      var noun = ids.length === 1 ? " event" : " events";
      output.value = enabled ? url : "";
      output.placeholder = "Tick events in the program first";
      count.textContent = enabled ? ids.length + noun + " in your feed." : "No events ticked yet.";
      picked.hidden = !enabled;
      pickedCount.textContent = ids.length + noun + " ticked";
      var outlook = "url=" + encodeURIComponent(url) + "&name=" + encodeURIComponent(name);
      setLink("personal-webcal", webcal(url), enabled);
      setLink("personal-google", googleUrl ? "https://calendar.google.com/calendar/render?cid=" + encodeURIComponent(googleUrl) : "#personal-google-too-big", enabled && googleUrl !== null);
      var tooBig = document.getElementById("personal-google-too-big");
      if (tooBig) { tooBig.hidden = !(enabled && googleUrl === null); }
      setLink("personal-outlook", "https://outlook.live.com/calendar/0/addfromweb?" + outlook, enabled);
      setLink("personal-office", "https://outlook.office.com/calendar/0/addfromweb?" + outlook, enabled);
      document.getElementById("personal-submit").disabled = !enabled;
      // The QR code of the very URL shown (the page has it only when its base URL is known).
      var qr = document.getElementById("personal-qr");
      if (qr) {
        qr.hidden = !enabled;
        if (enabled) {
          qr.src = "subscribe.svg?" + (code ? "p=" + code + (query ? "&" + query : "")
            : "events=" + ids.join(",") + (query ? "&" + query : ""));
        }
      }
    }

    form.addEventListener("change", update);
    update();
  }

  function setupLocalTimes() {
    // Show the reader's own time next to the event's when the two zones differ.
    if (!window.Intl || !Intl.DateTimeFormat) { return; }
    var format = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    var plain = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
    document.querySelectorAll("time.local").forEach(function (time) {
      var start = new Date(time.getAttribute("datetime"));
      var end = new Date(time.getAttribute("data-end"));
      var offset = time.getAttribute("datetime").slice(-6);
      var minutes = -start.getTimezoneOffset();
      var sign = minutes >= 0 ? "+" : "-";
      var mine = sign + String(Math.floor(Math.abs(minutes) / 60)).padStart(2, "0") + ":" +
        String(Math.abs(minutes) % 60).padStart(2, "0");
      if (isNaN(start) || offset === mine) { return; }
      var yours = time.parentNode.querySelector(".yours");
      yours.textContent = "Your time:\n" +
        (format.formatRange ? format.formatRange(start, end) : plain.format(start) + "–" + format.format(end));
      yours.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCopy();
    setupSubscribe();
    setupPersonal();
    setupLocalTimes();
  });
}());

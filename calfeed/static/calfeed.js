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
    var input = document.getElementById("feed-url");
    if (!input) { return; }
    var feed = absolute(input.value);
    if (feed === input.value) { return; }
    input.value = feed;
    var query = "url=" + encodeURIComponent(feed) + "&name=" + encodeURIComponent(document.title);
    setLink("subscribe-webcal", webcal(feed), true);
    setLink("subscribe-google", "https://calendar.google.com/calendar/render?cid=" + encodeURIComponent(webcal(feed)), true);
    setLink("subscribe-outlook", "https://outlook.live.com/calendar/0/addfromweb?" + query, true);
    setLink("subscribe-office", "https://outlook.office.com/calendar/0/addfromweb?" + query, true);
  }

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

    function update() {
      var ids = [];
      form.querySelectorAll('input[name="events"]:checked').forEach(function (box) { ids.push(box.value); });
      var url = base + "?events=" + ids.join(",");
      if (alarm.value) { url += "&alarm=" + alarm.value; }
      var enabled = ids.length > 0;
      var noun = ids.length === 1 ? " event" : " events";
      output.value = enabled ? url : "";
      output.placeholder = "Tick events in the program first";
      count.textContent = enabled ? ids.length + noun + " in your feed." : "No events ticked yet.";
      picked.hidden = !enabled;
      pickedCount.textContent = ids.length + noun + " ticked";
      var query = "url=" + encodeURIComponent(url) + "&name=" + encodeURIComponent(name);
      setLink("personal-webcal", webcal(url), enabled);
      setLink("personal-google", "https://calendar.google.com/calendar/render?cid=" + encodeURIComponent(webcal(url)), enabled);
      setLink("personal-outlook", "https://outlook.live.com/calendar/0/addfromweb?" + query, enabled);
      setLink("personal-office", "https://outlook.office.com/calendar/0/addfromweb?" + query, enabled);
      document.getElementById("personal-submit").disabled = !enabled;
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

// calfeed: the index of a folder of schedules. Gathers the talks picked on each schedule's page
// (kept in this browser under "calfeed.picked " + the schedule page's absolute URL, as calfeed.js
// keeps them) and offers one personal feed across the schedules, by its short URL.
(function () {
  "use strict";

  function absolute(path) { return new URL(path, document.baseURI).href; }

  function webcal(url) { return "webcal://" + url.replace(/^https?:\/\//, ""); }

  function setup() {
    var box = document.getElementById("across");
    if (!box || !window.fetch || !window.localStorage) { return; }
    var picks = [];
    JSON.parse(box.getAttribute("data-schedules")).forEach(function (name) {
      var ids = [];
      try { ids = JSON.parse(localStorage.getItem("calfeed.picked " + absolute(name + "/"))) || []; } catch (error) { ids = []; }
      ids.forEach(function (id) { picks.push(name + "/" + id); });
    });
    if (!picks.length) { return; }
    fetch("personal?events=" + encodeURIComponent(picks.join(","))).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (!answer || !answer.path) { return; } // a static host: no personal feeds
      var url = absolute(answer.path);
      var query = "url=" + encodeURIComponent(url) + "&name=" + encodeURIComponent(document.title + " (my selection)");
      document.getElementById("across-count").textContent = answer.count + (answer.count === 1 ? " talk" : " talks");
      document.getElementById("across-url").value = url;
      document.getElementById("across-webcal").href = webcal(url);
      document.getElementById("across-google").href = "https://calendar.google.com/calendar/render?cid=" + encodeURIComponent(url);
      document.getElementById("across-outlook").href = "https://outlook.live.com/calendar/0/addfromweb?" + query;
      document.getElementById("across-office").href = "https://outlook.office.com/calendar/0/addfromweb?" + query;
      box.hidden = false;
    }).catch(function () { /* offline: nothing to offer */ });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setup); } else { setup(); }
}());

// Live updates without a reload: polls the dashboard's /live probe every few seconds; when its
// version changes (a report stored, an epoch counted or closed, results applied on chain), the
// page's main content is fetched again and swapped in place. The footer says when the data was
// last checked. No third-party code, allowed by the page's Content-Security-Policy.
(function () {
  "use strict";
  var probe = document.body.getAttribute("data-live");
  if (!probe || !window.fetch || !window.DOMParser) return;
  var version = null;
  var busy = false;
  function stamp(ok) {
    var p = document.getElementById("updated");
    if (!p) return;
    var t = p.querySelector("time");
    var now = new Date();
    if (t && ok) {
      t.setAttribute("datetime", String(now.getTime()));
      t.textContent = now.toISOString().replace("T", " ").slice(0, 19) + " UTC";
    }
    var s = p.querySelector(".live-state");
    if (s) s.textContent = ok ? " · live: checks for new data every 3 s" : " · live: server unreachable, retrying";
  }
  function refresh() {
    return fetch(window.location.href, { headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main) {
          main.replaceWith(document.importNode(fresh, true));
          document.dispatchEvent(new CustomEvent("sla:updated"));
        }
      });
  }
  function poll() {
    if (busy) return;
    busy = true;
    fetch(probe, { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (live) {
        var changed = version !== null && live.version !== version;
        version = live.version;
        return (changed ? refresh() : Promise.resolve()).then(function () { stamp(true); });
      })
      .catch(function () { stamp(false); })
      .then(function () { busy = false; });
  }
  poll();
  window.setInterval(poll, 3000);
})();

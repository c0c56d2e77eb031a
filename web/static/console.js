// Quita agent console: live transcript and inbox over server-sent events,
// canned replies, confirmations. Every page works without it; this only
// saves reloads. Served from /console/static/console.js (CSP: script-src 'self').
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }

  // Forms that ask before they act.
  document.addEventListener("submit", function (e) {
    var f = e.target, q = f.getAttribute("data-confirm");
    if (q && !window.confirm(q)) { e.preventDefault(); return; }
    var b = f.querySelector("button[type=submit]");
    if (b) setTimeout(function () { b.disabled = true; }, 0); // no double submits
  });

  // A stream that reconnects with fresh parameters after the server ends
  // it (it does so every ~20 s, before its write timeout).
  function stream(urlFn, handlers) {
    var es = null, closed = false;
    function open() {
      if (closed) return;
      es = new EventSource(urlFn());
      Object.keys(handlers).forEach(function (ev) {
        es.addEventListener(ev, function (m) { var d = null; try { d = JSON.parse(m.data); } catch (x) { return; } handlers[ev](d); });
      });
      es.onerror = function () { es.close(); if (!closed) setTimeout(open, document.hidden ? 5000 : 1200); };
    }
    open();
    window.addEventListener("pagehide", function () { closed = true; if (es) es.close(); });
  }

  // ---- conversation page ----
  var conv = $("conv");
  if (conv) {
    var log = $("log"), id = conv.dataset.id;
    var last = parseInt(conv.dataset.last || "0", 10), day = conv.dataset.day || "", state = conv.dataset.state || "";
    var nearBottom = function () { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; };
    log.scrollTop = log.scrollHeight;
    stream(function () {
      return "/console/c/" + encodeURIComponent(id) + "/events?after=" + last + "&day=" + encodeURIComponent(day) + "&state=" + encodeURIComponent(state);
    }, {
      entry: function (d) {
        if (!d || d.seq <= last) return;
        var stick = nearBottom(), t = document.createElement("template");
        t.innerHTML = d.html; // rendered by the server's html/template, already escaped
        var dayEl = t.content.querySelector(".day");
        if (dayEl) day = dayEl.textContent;
        var empty = $("logEmpty"); if (empty) empty.remove();
        log.appendChild(t.content);
        last = d.seq; conv.dataset.last = String(last);
        if (stick) log.scrollTop = log.scrollHeight;
      },
      status: function (d) {
        var tick = document.querySelector("#e" + d.seq + " .tick");
        if (tick && !tick.classList.contains(d.status)) { tick.className = "tick " + d.status; tick.textContent = d.label; }
      },
      conv: function (d) {
        state = d.status + "|" + d.agent;
        var st = $("convStatus"); st.textContent = d.status_label; st.className = "chip " + d.status;
        $("convState").textContent = d.state;
        var ag = $("convAgent"); ag.hidden = !d.agent; ag.textContent = (ag.dataset.prefix || "") + d.agent;
      }
    });
    var canned = $("canned"), text = $("replyText");
    if (canned && text) canned.addEventListener("change", function () {
      var o = canned.options[canned.selectedIndex];
      if (!o || !o.dataset.text) return;
      text.value = text.value.trim() ? text.value.replace(/\s+$/, "") + "\n" + o.dataset.text : o.dataset.text;
      canned.selectedIndex = 0; text.focus();
    });
    if (text) text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("composer").requestSubmit(); }
    });
  }

  // ---- inbox ----
  var list = $("inboxList");
  if (list && list.dataset.live) {
    var busy = false;
    stream(function () { return list.dataset.live; }, {
      changed: function () {
        if (busy) return; busy = true;
        var u = new URL(location.href); u.searchParams.set("partial", "1");
        // The tab the page shows, which /console alone picks by what is waiting.
        if (list.dataset.status) u.searchParams.set("status", list.dataset.status);
        fetch(u.pathname + u.search, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (h) { if (h !== null) list.innerHTML = h; }) // server-rendered, escaped
          .catch(function () {})
          .then(function () { busy = false; });
      }
    });
  }

  // ---- WhatsApp page: the QR rotates, so reload while one is shown ----
  var wa = $("whatsapp");
  if (wa && wa.dataset.refresh) setTimeout(function () { location.reload(); }, parseInt(wa.dataset.refresh, 10) * 1000);
})();

/* Promoter home without a connection: a stock update or an order action made offline is kept
   in localStorage and sent when the connection returns. Each carries the idempotency key its
   form had, so a request sent twice (a retry after a timeout) is applied once by the server.
   It also registers the service worker (/sw.js) that keeps the page itself for offline use.
   Progressive enhancement only: without this file the forms post as usual. */
(function () {
  "use strict";
  var box = null;
  var sending = false;

  /* One queue per signed-in promoter: what one person left waiting is sent only in their own
     session, never in the session of whoever uses the phone next. */
  function store() {
    return "qhatu.promoter.queue." + ((box && box.dataset.user) || "nobody");
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(store()) || "[]"); } catch (e) { return []; }
  }
  function save(queue) { localStorage.setItem(store(), JSON.stringify(queue)); }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function render() {
    if (!box) { return; }
    var queue = load();
    box.textContent = "";
    if (!navigator.onLine) {
      var p = document.createElement("p");
      p.textContent = box.dataset.labelOffline;
      box.appendChild(p);
    }
    if (queue.length) {
      var h = document.createElement("p");
      h.textContent = box.dataset.labelWaiting;
      box.appendChild(h);
      var ul = document.createElement("ul");
      queue.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = item.label;
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.hidden = navigator.onLine && !queue.length;
  }

  function fieldsOf(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.set(submitter.name, submitter.value); }
    var fields = [];
    data.forEach(function (value, name) { fields.push([name, String(value)]); });
    return fields;
  }

  function describe(form, fields) {
    var label = form.dataset.offline || "";
    fields.forEach(function (pair) {
      if (pair[0] === "quantity") { label += ": " + pair[1]; }
    });
    return label;
  }

  /* Keep the request; give the form a fresh key and the figure it will leave behind, so that
     a second offline update of the same product is a new request that does not conflict. */
  function enqueue(form, submitter, sent) {
    var key = form.querySelector("input[name=key]");
    if (key && !key.value) { key.value = newKey(); }
    var fields = sent || fieldsOf(form, submitter);
    var mode = "count";
    fields.forEach(function (pair) { if (pair[0] === "mode") { mode = pair[1]; } });
    var queue = load();
    queue.push({
      url: form.getAttribute("action"),
      target: form.getAttribute("hx-target") || "",
      fields: fields,
      label: describe(form, fields)
    });
    save(queue);
    if (key) { key.value = newKey(); }
    var seen = form.querySelector("input[name=seen_on_hand]");
    var qty = form.querySelector("input[name=quantity]");
    if (!qty) {
      /* An order action: once is enough; the card is replaced when the answer comes. */
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
        b.disabled = true;
      });
    }
    if (seen && qty && qty.value) {
      var n = parseFloat(qty.value.replace(",", "."));
      if (!isNaN(n)) { seen.value = String(mode === "add" ? parseFloat(seen.value) + n : n); }
      qty.value = "";
    }
    render();
    saveCopy();
  }

  function swapRow(item, html) {
    if (!item.target || item.target.charAt(0) !== "#") { return; }
    var old = document.querySelector(item.target);
    if (!old) { return; }
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    var fresh = tpl.content.firstElementChild;
    if (fresh && fresh.id === old.id) {
      old.replaceWith(fresh);
      if (window.htmx) { window.htmx.process(fresh); }
      /* The counts and sections the answer sends out of band, as htmx would swap them. */
      tpl.content.querySelectorAll("[hx-swap-oob][id]").forEach(function (part) {
        var current = document.getElementById(part.id);
        if (current) { part.removeAttribute("hx-swap-oob"); current.replaceWith(part); }
      });
      saveCopy();
    }
  }

  function flush() {
    if (sending || !navigator.onLine) { render(); return; }
    var queue = load();
    if (!queue.length) { render(); return; }
    sending = true;
    var item = queue[0];
    fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(item.fields).toString()
    }).then(function (response) {
      return response.text().then(function (html) {
        /* Any answer from the server settles the item (applied, refused or a conflict to
           show); only a lost connection keeps it for later. */
        var rest = load();
        rest.shift();
        save(rest);
        swapRow(item, html);
        sending = false;
        flush();
      });
    }).catch(function () {
      sending = false;
      render();
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline]") || navigator.onLine) { return; }
    event.preventDefault();
    event.stopPropagation();
    enqueue(form, event.submitter);
  }, true);

  /* The connection dropped while htmx was sending: keep that request too. */
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest("form[data-offline]");
    if (!form) { return; }
    var config = event.detail.requestConfig || {};
    var sent = null;
    if (config.formData && config.formData.forEach) {
      sent = [];
      config.formData.forEach(function (value, name) { sent.push([name, String(value)]); });
    }
    enqueue(form, null, sent);
  });

  document.addEventListener("htmx:afterSettle", saveCopy);
  window.addEventListener("online", flush);
  /* A phone may believe it is online while nothing gets through: try again now and then. */
  setInterval(function () { if (load().length) { flush(); } }, 20000);
  window.addEventListener("offline", render);
  /* Keep the service worker's copy of this page as the promoter last saw it (after a row was
     updated or an action queued), so that reopening it offline shows the same state. No
     network: the copy is made from the page itself. */
  var saving = Promise.resolve();
  function saveCopy() {
    if (!window.caches || !navigator.serviceWorker || !navigator.serviceWorker.controller) {
      return saving;
    }
    saving = saving.then(function () {
      var html = "<!doctype html>\n" + document.documentElement.outerHTML;
      return caches.keys().then(function (names) {
        var mine = names.filter(function (n) { return n.indexOf("qhatu-promoter-") === 0; });
        if (!mine.length) { return; }
        return caches.open(mine[mine.length - 1]).then(function (cache) {
          return cache.put(location.pathname, new Response(html, {
            headers: { "Content-Type": "text/html; charset=utf-8" }
          }));
        });
      });
    }).catch(function () {});
    return saving;
  }
  /* For tests: resolves when the last copy is stored. */
  window.qhatuOffline = { saved: function () { return saving; } };

  /* The page may be the copy the service worker saved: give every form a key of its own so
     that nothing queued from it is mistaken for a request the server has already applied. */
  function freshKeys() {
    var keys = document.querySelectorAll("form[data-offline] input[name=key]");
    Array.prototype.forEach.call(keys, function (input) { input.value = newKey(); });
  }

  function registerWorker() {
    if (!box || !box.dataset.sw || !("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.register(box.dataset.sw, { scope: box.dataset.swScope })
      .catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    box = document.getElementById("offline-queue");
    freshKeys();
    flush();
  });
  window.addEventListener("load", registerWorker);
})();

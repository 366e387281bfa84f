/* Service worker of the promoter's phone (served as /sw.js, scope: the whole site, so that
   logging out from any page forgets the saved copy; it answers only the requests below and
   leaves every other request alone).
   - The promoter shell (CSS, htmx, the offline queue, manifest, icons) is kept in a cache and
     answered from it at once; it is refreshed in the background.
   - The home page is fetched from the network first; the last copy is kept so that the page
     still opens without a connection. Stock updates and order actions made offline are kept
     by promoter-offline.js and sent when the connection returns: POSTs never go through here.
   - Logging out forgets the saved page. */
"use strict";
var VERSION = "__VERSION__";
var CACHE = "qhatu-promoter-" + VERSION;
var HOME = "__HOME__";
var SHELL = __SHELL__;
var LOGOUT = "__LOGOUT__";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(SHELL).then(function () {
        return fetch(HOME, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
          if (r.ok) { return cache.put(HOME, r); }
        }).catch(function () {});
      });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("qhatu-promoter-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function fromNetworkFirst(request) {
  return fetch(request).then(function (response) {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) {
      /* Only the signed-in page itself: a redirect to the login page is not kept. */
      if (response.ok && !response.redirected) { cache.put(HOME, copy); }
      else { cache.delete(HOME); }
    });
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(HOME).then(function (saved) { return saved || Response.error(); });
    });
  });
}

function fromCacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (saved) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      if (saved) { fresh.catch(function () {}); return saved; }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && url.pathname === LOGOUT) {
    event.waitUntil(caches.delete(CACHE));
    return;
  }
  if (request.method !== "GET") { return; }
  if (request.mode === "navigate" && url.pathname === HOME) {
    event.respondWith(fromNetworkFirst(request));
  } else if (SHELL.indexOf(url.pathname) !== -1) {
    event.respondWith(fromCacheFirst(request));
  }
});

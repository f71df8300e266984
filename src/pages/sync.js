/* mod_reflex_auth: keeps the tabs of this site signed in together. */
(function () {
  'use strict';
  var SYNC = document.currentScript && document.currentScript.src
    ? new URL(document.currentScript.src).pathname.replace(/\.js$/, '')
    : '/_reflex/cookies/sync';
  /* seconds before the access token's expiry when the server refreshes it
     (the module writes its own value here when it serves this script) */
  var MARGIN = @RXA_REFRESH_MARGIN@;
  var KEY = 'reflex_auth_sync', LEASE = 'reflex_auth_sync_lease';
  var ME = Math.random().toString(36).slice(2), timer = null, expires = 0;
  function read(k) { try { return JSON.parse(localStorage.getItem(k)); }
                     catch (e) { return null; } }
  function write(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); }
                         catch (e) {} }
  function schedule(at) {
    clearTimeout(timer);
    expires = at || 0;
    /* MARGIN before expiry (when the server refreshes), with some jitter */
    var ms = at ? (at - MARGIN) * 1000 - Date.now() : 60000;
    ms = Math.min(Math.max(ms, 1000) + Math.random() * 2000, 3600000);
    timer = setTimeout(due, ms);
  }
  function due() {
    var seen = read(KEY);
    if (seen && seen.s === 'in' && seen.e && seen.e - MARGIN > Date.now() / 1000)
      return schedule(seen.e);           /* another tab already did it */
    var lease = read(LEASE);
    if (lease && lease.o !== ME && Date.now() - lease.t < 10000)
      return schedule(expires);
    write(LEASE, {o: ME, t: Date.now()});
    setTimeout(function () {
      var l = read(LEASE);
      if (l && l.o !== ME) return schedule(expires);
      sync();
    }, 100);
  }
  function sync() {
    return fetch(SYNC, {method: 'POST', credentials: 'same-origin',
                        headers: {'Accept': 'application/json'}})
      .then(function (r) {
        /* only a 401 says signed out; anything else: try again later */
        if (r.status !== 200 && r.status !== 401) throw r.status;
        return r.json();
      })
      .then(function (b) {
        if (b.authenticated) {
          write(KEY, {t: Date.now(), s: 'in', e: b.expires_at});
          schedule(b.expires_at);
        } else {
          write(KEY, {t: Date.now(), s: 'out'});
        }
        return b;
      }, function () { schedule(0); });
  }
  window.addEventListener('storage', function (e) {
    if (e.key !== KEY || !e.newValue) return;
    var v = read(KEY);
    if (!v) return;
    if (v.s === 'out') location.reload();
    else if (v.e) schedule(v.e);
  });
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && expires && expires - MARGIN <= Date.now() / 1000) due();
  });
  window.reflexAuth = {sync: sync};
  sync();
})();

/* The tab-sync script (SPEC 10), served at <sync path>.js. Pages include
 * it with <script src="/_reflex/cookies/sync.js"></script>; it keeps the
 * session fresh through the sync endpoint shortly before the access token
 * expires, and keeps tabs in step through one LocalStorage key: the tab
 * that refreshes announces the new expiry (the others only reschedule),
 * and a tab that finds itself signed out tells the others to reload. A
 * LocalStorage lease makes one tab at a time do the refresh. */
#include <http_protocol.h>

#include "mod_reflex_auth.h"

static const char sync_script[] =
"/* mod_reflex_auth: keeps the tabs of this site signed in together. */\n"
"(function () {\n"
"  'use strict';\n"
"  var SYNC = document.currentScript && document.currentScript.src\n"
"    ? new URL(document.currentScript.src).pathname.replace(/\\.js$/, '')\n"
"    : '/_reflex/cookies/sync';\n"
"  var KEY = 'reflex_auth_sync', LEASE = 'reflex_auth_sync_lease';\n"
"  var ME = Math.random().toString(36).slice(2), timer = null, expires = 0;\n"
"  function read(k) { try { return JSON.parse(localStorage.getItem(k)); }\n"
"                     catch (e) { return null; } }\n"
"  function write(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); }\n"
"                         catch (e) {} }\n"
"  function schedule(at) {\n"
"    clearTimeout(timer);\n"
"    expires = at || 0;\n"
"    /* 30 s before expiry (when the server refreshes), with some jitter */\n"
"    var ms = at ? (at - 30) * 1000 - Date.now() : 60000;\n"
"    ms = Math.min(Math.max(ms, 1000) + Math.random() * 2000, 3600000);\n"
"    timer = setTimeout(due, ms);\n"
"  }\n"
"  function due() {\n"
"    var seen = read(KEY);\n"
"    if (seen && seen.s === 'in' && seen.e && seen.e - 30 > Date.now() / 1000)\n"
"      return schedule(seen.e);           /* another tab already did it */\n"
"    var lease = read(LEASE);\n"
"    if (lease && lease.o !== ME && Date.now() - lease.t < 10000)\n"
"      return schedule(expires);\n"
"    write(LEASE, {o: ME, t: Date.now()});\n"
"    setTimeout(function () {\n"
"      var l = read(LEASE);\n"
"      if (l && l.o !== ME) return schedule(expires);\n"
"      sync();\n"
"    }, 100);\n"
"  }\n"
"  function sync() {\n"
"    return fetch(SYNC, {method: 'POST', credentials: 'same-origin',\n"
"                        headers: {'Accept': 'application/json'}})\n"
"      .then(function (r) {\n"
"        /* only a 401 says signed out; anything else: try again later */\n"
"        if (r.status !== 200 && r.status !== 401) throw r.status;\n"
"        return r.json();\n"
"      })\n"
"      .then(function (b) {\n"
"        if (b.authenticated) {\n"
"          write(KEY, {t: Date.now(), s: 'in', e: b.expires_at});\n"
"          schedule(b.expires_at);\n"
"        } else {\n"
"          write(KEY, {t: Date.now(), s: 'out'});\n"
"        }\n"
"        return b;\n"
"      }, function () { schedule(0); });\n"
"  }\n"
"  window.addEventListener('storage', function (e) {\n"
"    if (e.key !== KEY || !e.newValue) return;\n"
"    var v = read(KEY);\n"
"    if (!v) return;\n"
"    if (v.s === 'out') location.reload();\n"
"    else if (v.e) schedule(v.e);\n"
"  });\n"
"  document.addEventListener('visibilitychange', function () {\n"
"    if (!document.hidden && expires && expires - 30 <= Date.now() / 1000) due();\n"
"  });\n"
"  window.reflexAuth = {sync: sync};\n"
"  sync();\n"
"})();\n";

int rxa_sync_script(request_rec *r)
{
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    ap_set_content_type(r, "text/javascript; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=3600");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, sizeof(sync_script) - 1);
    if (!r->header_only)
        ap_rwrite(sync_script, sizeof(sync_script) - 1, r);
    return DONE;
}

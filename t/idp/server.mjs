// Test OpenID provider for mod_reflex_auth's integration and browser tests.
//
//   node t/idp/server.mjs CONFIG.json
//
// Wraps the npm package oidc-provider (a certified OpenID Provider) with just
// enough configuration for tests: clients from the config file, test accounts
// (alice: groups admins+staff, bob: staff, carol: none; any other login name
// works too), PKCE S256 required, refresh tokens for offline_access without a
// consent screen, and a non-interactive login for scripted clients
// (auto_login, or a login_hint naming an account). For APIs, when the config
// asks (all off by default): access tokens for configured resources (RFC 8707
// resource indicators; RFC 9068 JWTs or opaque), the client_credentials grant
// and the introspection endpoint (RFC 7662).
// Prints exactly one line "READY <issuer>" on stdout once it listens; anything
// else goes to stderr (RXA_IDP_VERBOSE=1 adds oidc-provider's own notices).
// Config keys: DEFAULTS below; t/integration/harness.py (class IdP) writes
// the config file.
//
// Deliberate differences from a stock oidc-provider, to behave like the IdPs
// the module meets: offline_access needs no prompt=consent; consent is never
// asked; a client must authenticate with its registered method
// (strict_client_auth).
//
// Test-only control endpoints (loopback only, never in discovery):
//   GET  /__test/state                  current settings
//   POST /__test/settings  {...}        merge into settings: auto_login,
//                                       honour_login_hint, auto_logout, ttl,
//                                       accounts (null removes one)
//   GET  /__test/requests               requests seen (method, path, query as
//                                       sent, form body, client, status, and
//                                       the tokens a token response issued)
//   DELETE /__test/requests             forget them
//   POST /__test/faults    rule|[rule]  add fault rules (see applyFault)
//   DELETE /__test/faults               remove all fault rules

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as querystring from 'node:querystring';

import Provider, { errors, interactionPolicy } from 'oidc-provider';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0, // 0: pick a free port; the issuer is built from the real one
  issuer: null, // default <scheme>://<host>:<port>; "{port}" is substituted
  tls: null, // {cert: FILE, key: FILE}: serve https instead of http
  clients: [],
  jwks_file: null, // private JWKS; created with fresh keys when missing
  new_keys: null, // "replace" | "prepend": fresh keys at start (rotation)
  key_types: ['RSA', 'EC'], // fresh keys: RSA 2048, EC P-256, OKP Ed25519
  id_token_signing_algs: ['RS256', 'PS256', 'ES256'],
  client_auth_methods: ['client_secret_basic', 'client_secret_post', 'none'],
  accounts: {}, // merged over DEFAULT_ACCOUNTS by login name
  auto_login: null, // login name used without a login page, or null
  honour_login_hint: true, // login_hint naming an account logs it in at once
  auto_logout: false, // logout confirmation page submits itself (browsers)
  claims_in_id_token: true, // scope claims in the ID token, not only userinfo
  // true: every refresh answers with a new refresh token and the old one is
  // spent (a second use is refused and revokes the grant); null:
  // oidc-provider's default (rotate for public clients and near expiry).
  rotate_refresh_tokens: null,
  // oidc-provider accepts client_secret_basic and client_secret_post
  // interchangeably; strict mode answers invalid_client to a client that does
  // not use the method it is registered with, as many real IdPs do.
  strict_client_auth: true,
  state_file: null, // written at start: {"port", "issuer", "pid"}
  ttl: {}, // seconds: AccessToken, IdToken, RefreshToken, AuthorizationCode,
  //          Session, Grant, Interaction
  // Access tokens for APIs. Resource indicator (RFC 8707 "resource") ->
  // {audience (default: the indicator), scope (the API's scopes, space-
  // separated; default "api:read api:write"), format "jwt" (default; RFC 9068,
  // typ at+jwt) | "opaque", alg (JWT signing, default "RS256"), ttl
  // (seconds)}. A token request naming another resource gets invalid_target;
  // one naming none gets an opaque access token, as before.
  resource_servers: {},
  introspection: false, // RFC 7662 endpoint (/token/introspection)
  // the client_credentials grant, for clients whose grant_types list it
  client_credentials: false,
};

const DEFAULT_ACCOUNTS = {
  alice: {
    email: 'alice@example.test',
    email_verified: true,
    name: 'Alice Liddell',
    given_name: 'Alice',
    family_name: 'Liddell',
    preferred_username: 'alice',
    picture: 'https://img.example.test/alice.png',
    groups: ['admins', 'staff'],
  },
  bob: {
    email: 'bob@example.test',
    email_verified: true,
    name: 'Bob Builder',
    given_name: 'Bob',
    family_name: 'Builder',
    preferred_username: 'bob',
    picture: 'https://img.example.test/bob.png',
    groups: ['staff'],
  },
  carol: {
    email: 'carol@example.test',
    email_verified: false,
    name: 'Carol Danvers',
    given_name: 'Carol',
    family_name: 'Danvers',
    preferred_username: 'carol',
  },
};

const DEFAULT_TTL = {
  AccessToken: 3600,
  IdToken: 3600,
  RefreshToken: 14 * 24 * 3600,
  AuthorizationCode: 60,
  Session: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  Interaction: 3600,
};

const verbose = Boolean(process.env.RXA_IDP_VERBOSE);

// oidc-provider prints development notices with console.info (stdout) and
// console.warn; stdout must carry only the READY line.
function quietConsole() {
  const { warn } = console;
  console.info = (...args) => {
    if (verbose) warn(...args);
  };
  console.log = console.info;
  console.warn = (...args) => {
    if (verbose || !String(args[0]).startsWith('oidc-provider ')) warn(...args);
  };
}

function fail(message) {
  process.stderr.write(`idp: ${message}\n`);
  process.exit(2);
}

function readConfig(file) {
  if (!file) fail('usage: node server.mjs CONFIG.json');
  let cfg;
  try {
    cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    fail(`cannot read config ${file}: ${err.message}`);
  }
  return { ...DEFAULTS, ...cfg };
}

function freshKey(type) {
  const stamp = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  let pair;
  let alg;
  switch (type) {
    case 'RSA':
      pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      alg = 'RS256';
      break;
    case 'EC':
      pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      alg = 'ES256';
      break;
    case 'OKP':
      pair = generateKeyPairSync('ed25519');
      alg = 'EdDSA';
      break;
    default:
      fail(`unknown key type ${type}`);
  }
  const jwk = pair.privateKey.export({ format: 'jwk' });
  // No "alg" on the key: oidc-provider then signs RS256 and PS256 with the
  // same RSA key, which is what real IdPs publish too.
  return { ...jwk, use: 'sig', kid: `${type.toLowerCase()}-${stamp}`, _alg: alg };
}

function loadKeys(cfg) {
  let keys = [];
  if (cfg.jwks_file && fs.existsSync(cfg.jwks_file)) {
    try {
      keys = JSON.parse(fs.readFileSync(cfg.jwks_file, 'utf8')).keys;
    } catch (err) {
      fail(`cannot read jwks_file ${cfg.jwks_file}: ${err.message}`);
    }
  }
  if (!keys.length || cfg.new_keys) {
    const fresh = cfg.key_types.map(freshKey).map(({ _alg, ...k }) => k);
    keys = cfg.new_keys === 'prepend' ? [...fresh, ...keys] : fresh;
    if (cfg.jwks_file) {
      fs.writeFileSync(cfg.jwks_file, JSON.stringify({ keys }, null, 2), { mode: 0o600 });
    }
  }
  return keys;
}

const RESOURCE_SCOPE_DEFAULT = 'api:read api:write';

// The Resource Server info oidc-provider wants for RESOURCE, from the
// config's resource_servers.
function resourceServerInfo(cfg, resource) {
  const rs = Object.hasOwn(cfg.resource_servers, resource)
    ? cfg.resource_servers[resource] : undefined;
  if (!rs) return undefined;
  const info = {
    audience: rs.audience ?? resource,
    scope: rs.scope ?? RESOURCE_SCOPE_DEFAULT,
    accessTokenFormat: rs.format ?? 'jwt',
  };
  if (info.accessTokenFormat === 'jwt') info.jwt = { sign: { alg: rs.alg ?? 'RS256' } };
  if (rs.ttl !== undefined) info.accessTokenTTL = rs.ttl;
  return info;
}

function normaliseClient(c) {
  const client = {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [],
    post_logout_redirect_uris: [],
    token_endpoint_auth_method: c.client_secret ? 'client_secret_basic' : 'none',
    id_token_signed_response_alg: 'RS256',
    ...c,
  };
  if (client.token_endpoint_auth_method === 'none') delete client.client_secret;
  return client;
}

// Mutable at run time through /__test/settings.
const settings = {};
const requestLog = [];
const REQUEST_LOG_MAX = 2000;
let faults = [];

function accountClaims(name) {
  const base = settings.accounts[name];
  const claims = {
    sub: name,
    email: `${name}@example.test`,
    email_verified: false,
    name,
    preferred_username: name,
    ...base,
  };
  claims.sub = name; // oidc-provider requires sub to equal the account id
  return claims;
}

// A login_hint is honoured when it names a test account (or its email);
// anything else falls back to auto_login or the login page.
function accountFromHint(hint) {
  if (!hint || !settings.honour_login_hint) return undefined;
  if (settings.accounts[hint]) return hint;
  return Object.keys(settings.accounts).find((n) => settings.accounts[n].email === hint);
}

function wantedAccount(params) {
  return accountFromHint(params?.login_hint) || settings.auto_login || undefined;
}

function sleep(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

function pathMatches(rule, path) {
  if (rule.path === undefined) return true;
  if (rule.path.startsWith('re:')) return new RegExp(rule.path.slice(3)).test(path);
  return rule.path === path;
}

// A fault rule: {path: "/token" | "re:REGEX", method, times (default
// unlimited), delay_ms, drop (close the connection), status, json | body,
// content_type, headers}. Without status/json/body/drop the request is only
// delayed and then served normally.
async function applyFault(ctx) {
  const rule = faults.find((r) => pathMatches(r, ctx.path)
    && (!r.method || r.method.toUpperCase() === ctx.method));
  if (!rule) return false;
  if (rule.times !== undefined) {
    rule.times -= 1;
    if (rule.times <= 0) faults = faults.filter((r) => r !== rule);
  }
  if (rule.delay_ms) await sleep(rule.delay_ms);
  if (rule.drop) {
    ctx.req.socket.destroy();
    ctx.respond = false;
    return true;
  }
  if (rule.status === undefined && rule.json === undefined && rule.body === undefined) {
    return false;
  }
  ctx.status = rule.status ?? 200;
  for (const [k, v] of Object.entries(rule.headers || {})) ctx.set(k, v);
  if (rule.json !== undefined) {
    ctx.type = rule.content_type || 'application/json';
    ctx.body = JSON.stringify(rule.json);
  } else {
    ctx.type = rule.content_type || 'text/plain';
    ctx.body = rule.body ?? '';
  }
  return true;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function readJsonBody(req) {
  const text = await readBody(req);
  return text ? JSON.parse(text) : {};
}

const CLIENT_AUTH_PATHS = new Set(['/token', '/token/revocation', '/token/introspection']);

// Which client authentication a token-endpoint request used, compared with
// the client's registration; a message when they differ.
function clientAuthMismatch(cfg, ctx) {
  const form = ctx.state.rxaForm || {};
  const header = ctx.get('authorization');
  let clientId = form.client_id;
  let used = 'none';
  if (/^basic /i.test(header)) {
    used = 'client_secret_basic';
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    clientId = decodeURIComponent(decoded.split(':')[0]);
  } else if (form.client_secret !== undefined) {
    used = 'client_secret_post';
  }
  const client = cfg.clients.find((c) => c.client_id === clientId);
  if (!client) return undefined; // oidc-provider gives its own error
  const registered = normaliseClient(client).token_endpoint_auth_method;
  if (used === registered) return undefined;
  return `client authentication ${used} used, ${registered} registered`;
}

async function controlEndpoint(ctx) {
  const { path, method } = ctx;
  ctx.type = 'application/json';
  if (path === '/__test/state' && method === 'GET') {
    ctx.body = settings;
  } else if (path === '/__test/settings' && method === 'POST') {
    const body = await readJsonBody(ctx.req);
    for (const key of ['auto_login', 'honour_login_hint', 'auto_logout']) {
      if (key in body) settings[key] = body[key];
    }
    if (body.ttl) Object.assign(settings.ttl, body.ttl);
    if (body.accounts) {
      for (const [name, claims] of Object.entries(body.accounts)) {
        if (claims === null) delete settings.accounts[name];
        else settings.accounts[name] = claims;
      }
    }
    ctx.body = settings;
  } else if (path === '/__test/requests' && method === 'GET') {
    ctx.body = requestLog;
  } else if (path === '/__test/requests' && method === 'DELETE') {
    requestLog.length = 0;
    ctx.body = { ok: true };
  } else if (path === '/__test/faults' && method === 'POST') {
    const body = await readJsonBody(ctx.req);
    faults.push(...(Array.isArray(body) ? body : [body]));
    ctx.body = faults;
  } else if (path === '/__test/faults' && method === 'DELETE') {
    faults = [];
    ctx.body = { ok: true };
  } else {
    ctx.status = 404;
    ctx.body = { error: 'unknown test endpoint' };
  }
}

function plainParams(ctx) {
  try {
    return ctx.oidc?.params?.toPlainObject?.();
  } catch {
    return undefined;
  }
}

// The tokens a token response carried, so that a test can search for them
// wherever they must not be (a dump of the shared cache); null otherwise.
function issuedTokens(ctx) {
  const body = ctx.body;
  if (ctx.status !== 200 || !body || typeof body !== 'object' || Buffer.isBuffer(body)
      || typeof body.pipe === 'function') {
    return null;
  }
  const out = {};
  for (const name of ['access_token', 'id_token', 'refresh_token']) {
    if (typeof body[name] === 'string') out[name] = body[name];
  }
  return Object.keys(out).length ? out : null;
}

function recordRequest(ctx) {
  const auth = ctx.get('authorization');
  const entry = {
    time: Date.now() / 1000,
    method: ctx.method,
    path: ctx.path,
    query: ctx.state.rxaOriginalQuery || { ...ctx.query },
    form: ctx.state.rxaForm ? { ...ctx.state.rxaForm } : null,
    params: plainParams(ctx) ?? null,
    client_id: ctx.oidc?.client?.clientId ?? null,
    authorization: auth ? auth.split(' ')[0] : null,
    status: ctx.status,
    user_agent: ctx.get('user-agent') || null,
    issued: issuedTokens(ctx),
  };
  requestLog.push(entry);
  if (requestLog.length > REQUEST_LOG_MAX) requestLog.shift();
}

function logoutPage(ctx, form) {
  // The confirmation form carries the xsrf token; the "logout=yes" input is
  // inside it so a scripted client submits the form as it is.
  const inner = form.replace(
    '</form>',
    '<input type="hidden" name="logout" value="yes"/>'
    + '<button type="submit" id="logout-yes">Yes, sign me out</button></form>',
  );
  const auto = settings.auto_logout
    ? '<script>document.forms[0].submit()</script>'
    : '';
  ctx.type = 'html';
  ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Logout Request</title></head><body>
<h1>Do you want to sign out?</h1>${inner}${auto}</body></html>`;
}

function buildProvider(cfg, issuer, keys) {
  const { Check, base } = interactionPolicy;
  const policy = base();
  // The session's account differs from the one a scripted test asked for
  // (auto_login or login_hint): log in again instead of reusing the session.
  policy.get('login').checks.add(new Check(
    'rxa_test_account_switch',
    'a different test account was requested',
    (ctx) => {
      const want = wantedAccount(ctx.oidc.params);
      const have = ctx.oidc.session.accountId;
      return Boolean(want && have && want !== have);
    },
  ));

  const ttl = {};
  for (const name of Object.keys(DEFAULT_TTL)) {
    ttl[name] = () => settings.ttl[name] ?? DEFAULT_TTL[name];
  }

  const provider = new Provider(issuer, {
    clients: cfg.clients.map(normaliseClient),
    jwks: { keys },
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => accountClaims(id),
    }),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    responseTypes: ['code'],
    clientAuthMethods: cfg.client_auth_methods,
    enabledJWA: { idTokenSigningAlgValues: cfg.id_token_signing_algs },
    conformIdTokenClaims: !cfg.claims_in_id_token,
    pkce: { methods: ['S256'], required: () => true },
    // Consent is implied: every requested scope is granted at once, so
    // offline_access yields a refresh token without a consent screen.
    loadExistingGrant: async (ctx) => {
      const { oidc } = ctx;
      if (!oidc.session.accountId) return undefined;
      const grantId = oidc.result?.consent?.grantId
        || oidc.session.grantIdFor(oidc.client.clientId);
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (!grant || grant.accountId !== oidc.session.accountId) {
        grant = new oidc.provider.Grant({
          clientId: oidc.client.clientId,
          accountId: oidc.session.accountId,
        });
      }
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      if (oidc.requestParamClaims) grant.addOIDCClaims([...oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    interactions: { policy },
    features: {
      devInteractions: { enabled: true },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: logoutPage },
      // logout tokens to each client's backchannel_logout_uri (client
      // metadata from the config, with backchannel_logout_session_required)
      // when a session ends at the end_session endpoint
      backchannelLogout: { enabled: true },
      introspection: { enabled: Boolean(cfg.introspection) },
      clientCredentials: { enabled: Boolean(cfg.client_credentials) },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: (ctx, resource) => {
          const info = resourceServerInfo(cfg, resource);
          if (!info) throw new errors.InvalidTarget();
          return info;
        },
      },
    },
    ttl,
    ...(cfg.rotate_refresh_tokens === null ? {} : { rotateRefreshToken: cfg.rotate_refresh_tokens }),
    cookies: { keys: [randomBytes(32).toString('hex')] },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
      ctx.body = `<!DOCTYPE html><html><head><title>IdP error</title></head><body>
<h1>IdP error</h1><pre id="error">${Object.entries(out).map(([k, v]) => `${esc(k)}: ${esc(v)}`).join('\n')}</pre>
</body></html>`;
    },
  });
  provider.proxy = false;

  provider.on('server_error', (ctx, err) => {
    process.stderr.write(`idp: server_error ${ctx.method} ${ctx.path}: ${err.stack}\n`);
  });
  provider.on('backchannel.error', (ctx, err, client) => {
    process.stderr.write(`idp: backchannel logout to ${client.clientId} failed: ${err.message}\n`);
  });

  // Runs ahead of oidc-provider's own routes (Provider#use inserts before them).
  provider.use(async (ctx, next) => {
    if (ctx.path.startsWith('/__test/')) {
      await controlEndpoint(ctx);
      return;
    }
    if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
      // Read here so the request log and the strict client-auth check see
      // the form; oidc-provider then parses ctx.req.body.
      ctx.req.body = await readBody(ctx.req);
      ctx.state.rxaForm = querystring.parse(ctx.req.body);
    }
    try {
      if (await applyFault(ctx)) return;
      if (cfg.strict_client_auth && CLIENT_AUTH_PATHS.has(ctx.path) && ctx.method === 'POST') {
        const problem = clientAuthMismatch(cfg, ctx);
        if (problem) {
          ctx.status = 401;
          ctx.set('WWW-Authenticate', 'Basic realm="rxa-test-idp"');
          ctx.body = { error: 'invalid_client', error_description: problem };
          return;
        }
      }
      await next();
    } finally {
      recordRequest(ctx);
    }
  });

  // oidc-provider follows OIDC Core strictly and drops offline_access unless
  // the request says prompt=consent. Real IdPs (Keycloak, Entra) issue a
  // refresh token for offline_access alone, which is what the module relies
  // on, so add prompt=consent here; the consent it asks for is granted below
  // without a page. The request log keeps the query as the client sent it.
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/auth') {
      const scope = ctx.query.scope;
      if (typeof scope === 'string' && scope.split(' ').includes('offline_access')
          && ctx.query.prompt === undefined) {
        ctx.state.rxaOriginalQuery = { ...ctx.query };
        ctx.querystring = `${ctx.querystring}&prompt=consent`;
      }
    }
    await next();
  });

  // Interactions without a page where a scripted test needs none: consent is
  // always granted at once (every requested scope and claim); a login prompt
  // is finished at once when a test account is wanted (auto_login or
  // login_hint), so a client that follows redirects goes from the
  // authorization endpoint straight to its redirect_uri. Otherwise
  // devInteractions shows its login page, where any name logs in.
  provider.use(async (ctx, next) => {
    const m = ctx.method === 'GET' && /^\/interaction\/([^/]+)$/.exec(ctx.path);
    if (!m) {
      await next();
      return;
    }
    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      await next(); // let oidc-provider render its own error
      return;
    }
    let result;
    let merge = false;
    if (details.prompt.name === 'consent') {
      const { prompt: { details: missing }, grantId, session, params } = details;
      let grant = grantId ? await provider.Grant.find(grantId) : undefined;
      if (!grant) {
        grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      }
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      result = { consent: { grantId: await grant.save() } };
      merge = true;
    } else if (details.prompt.name === 'login' && wantedAccount(details.params)) {
      result = { login: { accountId: wantedAccount(details.params) } };
    } else {
      await next();
      return;
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(returnTo);
    ctx.status = 303;
  });

  return provider;
}

function listen(server, host, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

async function main() {
  quietConsole();
  const cfg = readConfig(process.argv[2]);
  Object.assign(settings, {
    auto_login: cfg.auto_login,
    honour_login_hint: cfg.honour_login_hint,
    auto_logout: cfg.auto_logout,
    ttl: { ...cfg.ttl },
    accounts: { ...DEFAULT_ACCOUNTS, ...cfg.accounts },
  });
  const keys = loadKeys(cfg);

  const server = cfg.tls
    ? https.createServer({
      cert: fs.readFileSync(cfg.tls.cert),
      key: fs.readFileSync(cfg.tls.key),
    })
    : http.createServer();
  let port;
  try {
    port = await listen(server, cfg.host, cfg.port);
  } catch (err) {
    fail(`cannot listen on ${cfg.host}:${cfg.port}: ${err.message}`);
  }
  const scheme = cfg.tls ? 'https' : 'http';
  const hostPart = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const issuer = cfg.issuer
    ? cfg.issuer.replaceAll('{port}', String(port))
    : `${scheme}://${hostPart}:${port}`;

  let provider;
  try {
    provider = buildProvider(cfg, issuer, keys);
  } catch (err) {
    fail(`bad configuration: ${err.stack}`);
  }
  // oidc-provider validates static clients on first use; a test wants a bad
  // client config to fail the start, with the reason.
  for (const client of cfg.clients) {
    try {
      if (!await provider.Client.find(client.client_id)) throw new Error('not found');
    } catch (err) {
      fail(`bad configuration: client ${client.client_id}: ${err.error_description || err.message}`);
    }
  }
  server.on('request', provider.callback());
  // Stray keep-alive connections must not delay a restart on the same port.
  server.keepAliveTimeout = 2000;

  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  if (cfg.state_file) {
    fs.writeFileSync(cfg.state_file, JSON.stringify({ port, issuer, pid: process.pid }));
  }
  process.stdout.write(`READY ${issuer}\n`);
}

main().catch((err) => fail(err.stack));

// Hostile input at the identity provider's endpoints, over real loopback HTTP against
// `zta idp serve`: malformed, huge and garbage requests at /authorize, /par, /login, /consent,
// /account, /account/revoke, /logout, /token, /userinfo, /introspect and /revoke (GET and POST,
// bad and huge cookies, missing / wrong / foreign / duplicated CSRF tokens, a cross-origin login,
// bad Authorization headers, duplicate, long and odd-encoded parameters, deeply nested
// authorization_details, protocol-level garbage). Every answer must be 2xx, 3xx or 4xx (never 5xx, never a reset
// before an answer), and the server must stay up and keep serving a real flow afterwards.
// Usage: node hostile_input.mjs PATH/TO/zta [ARTIFACT_DIR]
import { connect } from 'node:net';
import { Harness, expect } from './harness.mjs';
import {
  BOOKING, PASSWORD, RESOURCE, USER, addHotelRegistry, loopbackRedirect, pkce, randomToken,
} from './flows.mjs';

const t = new Harness('hostile-input', { timeoutMs: 100_000 });

let reg;
let app;
let callback;
await t.must('registry through the CLI: hotel resource, agent, user, app', async () => {
  reg = await addHotelRegistry(t);
  callback = await loopbackRedirect();
  app = await t.idp(['app', 'add', 'Chat CLI', '--redirect-uri', callback.uri]);
});
await t.must('zta idp serve listens on loopback', () => t.serve());
const { hostname: host, port } = new URL(t.issuer);

// One raw HTTP/1.1 exchange on its own connection: resolves with the status code of the answer,
// or 'closed' when the server closed the connection without answering (acceptable for bytes that
// are not HTTP), or 'reset' / 'timeout' (not acceptable).
function raw(bytes, { timeoutMs = 5_000 } = {}) {
  return new Promise((resolve) => {
    const socket = connect(Number(port), host);
    let answer = '';
    let settled = false;
    const done = (v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      if (m) done(Number(m[1]));
    });
    socket.on('end', () => done(answer ? `garbled: ${answer.slice(0, 40)}` : 'closed'));
    socket.on('error', (e) => done(e.code === 'ECONNRESET' && !answer ? 'closed' : `error ${e.code}`));
  });
}

function request(method, path, { headers = {}, body } = {}) {
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'latin1');
  if (body !== undefined && !('Content-Length' in headers)) head += `Content-Length: ${payload.length}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]);
}

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const pathOf = (url) => url.replace(t.issuer, '');

// Runs every case with a few in flight at once; returns the ones whose answer was not acceptable.
async function barrage(cases) {
  const bad = [];
  const counts = {};
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const got = await raw(c.bytes, c);
      counts[got] = (counts[got] ?? 0) + 1;
      const acceptable = (typeof got === 'number' && got >= 200 && got < 500) ||
                         (got === 'closed' && c.mayClose);
      if (!acceptable) bad.push(`${c.name}: ${got}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  expect(t.serverAlive(), `the server exited: ${t.serverStderr.slice(-500)}`);
  expect(bad.length === 0, `${bad.length} unacceptable answer(s), the first ones:\n  ${bad.slice(0, 15).join('\n  ')}`);
  return `${cases.length} requests, answers ${JSON.stringify(counts)}`;
}

async function stillServes() {
  const r = await fetch(`${t.issuer}/jwks`);
  expect(r.status === 200, `/jwks answered ${r.status} afterwards`);
}

const { challenge } = pkce();
const goodAuthorize = new URLSearchParams({
  response_type: 'code', client_id: app.client_id, redirect_uri: callback.uri, scope: 'bookings:create',
  resource: RESOURCE, requested_actor: reg.agent.client_id, state: randomToken(),
  authorization_details: JSON.stringify([BOOKING]), code_challenge: challenge, code_challenge_method: 'S256',
});
const ENDPOINTS = ['/authorize', '/par', '/login', '/consent', '/account', '/account/revoke', '/logout',
                   '/token', '/userinfo'];
const LONG = 'A'.repeat(100_000);
const DEEP = '['.repeat(20_000) + ']'.repeat(20_000);  // a JSON parser's stack
const ODD_VALUES = [
  '%', '%zz', '%0', '%00', '%C0%AF', '%ED%A0%80', '%FF%FE', '%25%32%35', '\u00ff\u00fe',
  '%E2%80%AE', '%0d%0aSet-Cookie:%20x=1', '%3Cscript%3Ealert(1)%3C/script%3E', '+%2B+', '&&&==&=',
];

await t.check('GET and POST with no, garbage, odd-encoded and duplicate parameters', async () => {
  const cases = [];
  for (const ep of ENDPOINTS) {
    cases.push({ name: `GET ${ep}`, bytes: request('GET', ep) });
    cases.push({ name: `POST ${ep} empty`, bytes: request('POST', ep, { headers: FORM, body: '' }) });
    cases.push({ name: `POST ${ep} no content type`, bytes: request('POST', ep, { body: 'a=b' }) });
    cases.push({ name: `POST ${ep} JSON`, bytes: request('POST', ep, { headers: { 'Content-Type': 'application/json' }, body: '{"username":"alice"}' }) });
    cases.push({ name: `POST ${ep} multipart`, bytes: request('POST', ep, { headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n' }) });
    cases.push({ name: `PUT ${ep}`, bytes: request('PUT', ep, { headers: FORM, body: 'a=b' }) });
    cases.push({ name: `DELETE ${ep}`, bytes: request('DELETE', ep) });
    cases.push({ name: `OPTIONS ${ep}`, bytes: request('OPTIONS', ep) });
    cases.push({ name: `HEAD ${ep}`, bytes: request('HEAD', ep) });
    for (const v of ODD_VALUES) {
      const q = `client_id=${v}&redirect_uri=${v}&${v}=${v}&username=${v}&password=${v}&decision=${v}&csrf=${v}`;
      cases.push({ name: `GET ${ep}?…${v}`, bytes: request('GET', `${ep}?${q}`) });
      cases.push({ name: `POST ${ep} body …${v}`, bytes: request('POST', ep, { headers: FORM, body: q }) });
    }
    const dup = `${goodAuthorize}&${goodAuthorize}&client_id=other&response_type=token&code_challenge_method=plain`;
    cases.push({ name: `GET ${ep} duplicate parameters`, bytes: request('GET', `${ep}?${dup}`) });
    cases.push({ name: `POST ${ep} duplicate parameters`, bytes: request('POST', ep, { headers: FORM, body: dup }) });
    cases.push({ name: `POST ${ep} grant_type twice`, bytes: request('POST', ep, { headers: FORM, body: 'grant_type=authorization_code&grant_type=refresh_token&code=x&refresh_token=y' }) });
  }
  return barrage(cases);
});
await t.check('bad Authorization headers at /userinfo, /token, /par, /introspect and /revoke', async () => {
  const values = [
    'Bearer', 'Bearer ', 'Bearer garbage', `Bearer ${LONG.slice(0, 7000)}`, 'Bearer a.b.c',
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'Basic', 'Basic !!!', 'Basic Og==',
    `Basic ${Buffer.from(`${app.client_id}:wrong`).toString('base64')}`,
    `Basic ${Buffer.from(`${'%zz'}:${'%'}`).toString('base64')}`, 'DPoP x', 'bearer  x  y', '\u00ff\u00fe',
  ];
  const cases = [];
  for (const ep of ['/userinfo', '/token', '/par', '/introspect', '/revoke']) {
    for (const v of values) {
      cases.push({ name: `GET ${ep} Authorization ${v.slice(0, 20)}`, bytes: request('GET', ep, { headers: { Authorization: v } }) });
      cases.push({ name: `POST ${ep} Authorization ${v.slice(0, 20)}`, bytes: request('POST', ep, { headers: { ...FORM, Authorization: v }, body: 'grant_type=authorization_code&code=x&token=y' }) });
    }
    cases.push({ name: `POST ${ep} two Authorization headers`, bytes: Buffer.from(`POST ${ep} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer a\r\nAuthorization: Basic Og==\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b`, 'latin1') });
    cases.push({ name: `POST ${ep} access_token in the body and the header`, bytes: request('POST', ep, { headers: { ...FORM, Authorization: 'Bearer a' }, body: 'access_token=b' }) });
  }
  return barrage(cases);
});
await t.check('authorization requests with hostile values', async () => {
  const cases = [];
  const variants = {
    'authorization_details deeply nested': { authorization_details: DEEP },
    'authorization_details not JSON': { authorization_details: '[{"type":' },
    'authorization_details an object': { authorization_details: '{"type":"hotel_booking"}' },
    'authorization_details huge': { authorization_details: JSON.stringify(Array.from({ length: 2000 }, () => BOOKING)) },
    'authorization_details undeclared type': { authorization_details: '[{"type":"wire_transfer","amount":1e308}]' },
    'authorization_details wrong types': { authorization_details: '[{"type":"hotel_booking","max_total":"lots","room_id":[1]}]' },
    'redirect_uri javascript:': { redirect_uri: 'javascript:alert(1)' },
    'redirect_uri other host': { redirect_uri: 'https://evil.example/cb' },
    'redirect_uri with fragment': { redirect_uri: `${callback.uri}#x` },
    'redirect_uri userinfo trick': { redirect_uri: `http://127.0.0.1@evil.example/callback` },
    'client_id unknown': { client_id: 'app-does-not-exist' },
    'client_id long': { client_id: LONG },
    'state long': { state: LONG },
    'scope long': { scope: 'x '.repeat(20_000) },
    'resource not a URI': { resource: '::::' },
    'requested_actor unknown': { requested_actor: 'agent-nope' },
    'requested_actor long': { requested_actor: LONG },
    'code_challenge plain': { code_challenge_method: 'plain' },
    'code_challenge empty': { code_challenge: '' },
    'code_challenge long': { code_challenge: LONG },
    'response_type token': { response_type: 'token' },
    'prompt garbage': { prompt: 'none login consent select_account \u0000' },
    'request_uri garbage': { request_uri: 'urn:ietf:params:oauth:request_uri:nope' },
    'request (JAR) garbage': { request: 'eyJhbGciOiJub25lIn0.e30.' },
    'login_hint long': { login_hint: LONG },
    'nonce NUL': { nonce: 'a\u0000b' },
  };
  for (const [name, override] of Object.entries(variants)) {
    const q = new URLSearchParams(goodAuthorize);
    for (const [k, v] of Object.entries(override)) q.set(k, v);
    cases.push({ name: `GET /authorize ${name}`, bytes: request('GET', `/authorize?${q}`) });
    cases.push({ name: `POST /authorize ${name}`, bytes: request('POST', '/authorize', { headers: FORM, body: q.toString() }) });
    cases.push({ name: `POST /par ${name}`, bytes: request('POST', '/par', { headers: { ...FORM, Authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` }, body: q.toString() }) });
  }
  return barrage(cases);
});
await t.check('bad, huge and garbage cookies on every browser endpoint', async () => {
  const cookies = [
    'zta_session=garbage', '__Host-zta_session=garbage', 'session=', '=', ';;;;', 'a',
    `zta_session=${LONG.slice(0, 7000)}`, Array.from({ length: 300 }, (_, i) => `c${i}=${i}`).join('; '),
    'zta_session="quoted"; zta_session=second', 'zta_session=%00%ff', 'zta_session=\u00ff\u00fe',
    `zta_csrf=${'x'.repeat(4000)}`,
  ];
  const cases = [];
  for (const ep of ['/authorize', '/login', '/consent', '/account', '/account/revoke', '/logout']) {
    for (const c of cookies) {
      cases.push({ name: `GET ${ep} Cookie ${c.slice(0, 30)}`, bytes: request('GET', `${ep}?${goodAuthorize}`, { headers: { Cookie: c } }) });
      cases.push({ name: `POST ${ep} Cookie ${c.slice(0, 30)}`, bytes: request('POST', ep, { headers: { ...FORM, Cookie: c }, body: 'decision=approve&csrf=x&username=alice&password=x' }) });
    }
  }
  return barrage(cases);
});

// A cookie-keeping client without a browser: follows redirects by hand so that every Set-Cookie
// on the way is kept, and reads the hidden fields (CSRF token, request id) of the page it ends on.
class CookieClient {
  constructor() { this.jar = new Map(); }
  get cookie() { return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '); }
  async go(url, init = {}) {
    let r;
    for (let hop = 0; hop < 6; hop += 1) {
      const headers = { ...(init.headers ?? {}), ...(this.jar.size ? { cookie: this.cookie } : {}) };
      r = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const c of r.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair.indexOf('=');
        this.jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      if (r.status < 300 || r.status >= 400 || !r.headers.get('location')) break;
      url = new URL(r.headers.get('location'), url).href;
      if (!url.startsWith(t.issuer)) return { url, status: r.status, fields: {}, html: '' };
      init = {};  // 303 See Other: the next request is a GET
    }
    const html = await r.text();
    const fields = {};
    for (const [tag] of html.matchAll(/<input[^>]*>/g)) {
      if (!/type="hidden"/.test(tag)) continue;
      const name = /name="([^"]*)"/.exec(tag)?.[1];
      if (name) fields[name] = (/value="([^"]*)"/.exec(tag)?.[1] ?? '').replace(/&amp;/g, '&');
    }
    return { url, status: r.status, fields, html };
  }
  post(url, fields) {
    return this.go(url, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() });
  }
}
const csrfNameOf = (fields) => Object.keys(fields).find((k) => /csrf/i.test(k));
const form = (fields) => new URLSearchParams(fields).toString();

await t.check('login and consent forms with missing, wrong, foreign and duplicated CSRF tokens', async () => {
  const ca = new CookieClient();
  const a = await ca.go(`${t.issuer}/authorize?${goodAuthorize}`);
  const b = await new CookieClient().go(`${t.issuer}/authorize?${goodAuthorize}`);
  const csrfName = csrfNameOf(a.fields);
  expect(a.status === 200 && csrfName, `no CSRF field on the login page (${a.status} ${a.url}): ${JSON.stringify(a.fields)}`);
  const loginPath = new URL(a.url).pathname;
  const base = { ...a.fields, username: 'alice', password: 'wrong password' };
  const cases = [];
  const bodies = {
    'no CSRF': form(Object.fromEntries(Object.entries(base).filter(([k]) => k !== csrfName))),
    'empty CSRF': form({ ...base, [csrfName]: '' }),
    'wrong CSRF': form({ ...base, [csrfName]: randomToken() }),
    'CSRF of another browser': form({ ...base, [csrfName]: b.fields[csrfName] }),
    'CSRF twice': `${form(base)}&${csrfName}=${encodeURIComponent(randomToken())}`,
    'CSRF long': form({ ...base, [csrfName]: LONG }),
    'username long': form({ ...base, username: LONG }),
    'password long': form({ ...base, password: LONG }),
    'username twice': `${form(base)}&username=bob`,
    'request_id garbage': form({ ...base, request_id: '../../etc' }),
    'request_id long': form({ ...base, request_id: LONG }),
  };
  for (const [name, body] of Object.entries(bodies)) {
    for (const path of [loginPath, '/consent', '/account/revoke', '/logout']) {
      cases.push({ name: `POST ${path} ${name}`, bytes: request('POST', path, { headers: { ...FORM, Cookie: ca.cookie }, body }) });
      cases.push({ name: `POST ${path} ${name}, no cookie`, bytes: request('POST', path, { headers: FORM, body }) });
      cases.push({ name: `POST ${path} ${name}, decision approve`, bytes: request('POST', path, { headers: { ...FORM, Cookie: ca.cookie }, body: `${body}&decision=approve` }) });
    }
  }
  const detail = await barrage(cases);
  // None of them signed the browser in: /account still sends it to the login page.
  const after = await fetch(`${t.issuer}/account`, { headers: { cookie: ca.cookie }, redirect: 'manual' });
  expect(after.status >= 300 && after.status < 400 && /login/.test(after.headers.get('location') ?? ''),
         `/account answered ${after.status} ${after.headers.get('location') ?? ''} after forged logins`);
  return detail;
});

await t.check('the right CSRF token and password, posted from another Origin → refused, not signed in', async () => {
  const c = new CookieClient();
  const loginPage = await c.go(`${t.issuer}/authorize?${goodAuthorize}`);
  expect(loginPage.status === 200 && csrfNameOf(loginPage.fields), `no login form: ${loginPage.status} ${loginPage.url}`);
  const r = await fetch(loginPage.url.split('?')[0], {
    method: 'POST', redirect: 'manual',
    headers: { ...FORM, cookie: c.cookie, origin: 'https://evil.example' },
    body: form({ ...loginPage.fields, username: USER, password: PASSWORD }),
  });
  expect(r.status === 403, `a cross-origin login answered ${r.status}`);
  expect(!r.headers.getSetCookie().some((x) => /session/i.test(x)), 'a session cookie was set');
  return `${r.status}`;
});
await t.check('signed in, with a valid CSRF token: garbage decisions, request ids and revocations', async () => {
  const c = new CookieClient();
  const loginPage = await c.go(`${t.issuer}/authorize?${goodAuthorize}`);
  const consent = await c.post(new URL(loginPage.url).href.split('?')[0],
                               { ...loginPage.fields, username: USER, password: PASSWORD });
  const csrfName = csrfNameOf(consent.fields);
  expect(consent.status === 200 && consent.fields.request_id && csrfName,
         `the login did not lead to the consent page: ${consent.status} ${consent.url} ${JSON.stringify(consent.fields)}`);
  const csrf = consent.fields[csrfName];
  const cases = [];
  const consentBodies = {
    'decision garbage': { decision: 'maybe' }, 'decision empty': { decision: '' },
    'decision twice': null, 'no decision': {}, 'decision long': { decision: LONG },
    'request_id unknown': { request_id: randomToken(), decision: 'approve' },
    'request_id empty': { request_id: '', decision: 'approve' },
    'request_id long': { request_id: LONG, decision: 'approve' },
    'request_id odd bytes': { request_id: '\u0000\u00ff%zz', decision: 'approve' },
  };
  for (const [name, extra] of Object.entries(consentBodies)) {
    const body = extra === null ? `${form(consent.fields)}&decision=approve&decision=deny`
                                : form({ ...consent.fields, ...extra });
    cases.push({ name: `POST /consent ${name}`, bytes: request('POST', '/consent', { headers: { ...FORM, Cookie: c.cookie }, body }) });
  }
  const revokeBodies = {
    'kind garbage': { kind: 'everything', id: '*' }, 'no kind': { id: 'g-1' },
    'grant id unknown': { kind: 'grant', id: 'g-does-not-exist' }, 'grant id empty': { kind: 'grant', id: '' },
    'grant id long': { kind: 'grant', id: LONG }, 'grant id SQL': { kind: 'grant', id: "' OR 1=1 --" },
    'consent unknown': { kind: 'consent', app_id: 'app-x', agent_id: 'agent-y', resource: 'urn:z' },
    'consent empty': { kind: 'consent' }, 'consent long': { kind: 'consent', app_id: LONG, agent_id: LONG, resource: LONG },
  };
  for (const [name, fields] of Object.entries(revokeBodies)) {
    cases.push({ name: `POST /account/revoke ${name}`, bytes: request('POST', '/account/revoke', { headers: { ...FORM, Cookie: c.cookie }, body: form({ [csrfName]: csrf, ...fields }) }) });
  }
  cases.push({ name: 'GET /account signed in', bytes: request('GET', '/account', { headers: { Cookie: c.cookie } }) });
  const detail = await barrage(cases);
  // The session survived all of it and the real consent still works (unknown ids revoked nothing).
  const account = await c.go(`${t.issuer}/account`);
  expect(account.status === 200, `/account answered ${account.status} afterwards`);
  return detail;
});
await t.check('protocol-level garbage: huge request line and headers, bad lengths, not HTTP', async () => {
  const cases = [
    { name: 'request line 100 KB', bytes: request('GET', `/authorize?state=${LONG}`) },
    { name: 'header 100 KB', bytes: request('GET', '/login', { headers: { 'X-Big': LONG } }) },
    { name: '500 headers', bytes: request('GET', '/account', { headers: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`X-H${i}`, 'v'])) }) },
    { name: 'body 2 MB', bytes: request('POST', '/login', { headers: FORM, body: `username=${'a'.repeat(2_000_000)}` }) },
    { name: 'Content-Length too big', bytes: request('POST', '/consent', { headers: { ...FORM, 'Content-Length': '99999999999999999999' }, body: 'a=b' }), mayClose: true },
    { name: 'Content-Length negative', bytes: request('POST', '/consent', { headers: { ...FORM, 'Content-Length': '-1' }, body: 'a=b' }), mayClose: true },
    { name: 'two Content-Lengths', bytes: request('POST', '/par', { headers: { ...FORM, 'Content-Length': '3', 'content-length': '5' }, body: 'a=b' }), mayClose: true },
    { name: 'chunked garbage', bytes: request('POST', '/login', { headers: { ...FORM, 'Transfer-Encoding': 'chunked' }, body: 'zz\r\nnot hex\r\n0\r\n\r\n' }), mayClose: true },
    { name: 'NUL in path', bytes: Buffer.from(`GET /login\u0000x HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1'), mayClose: true },
    { name: 'raw high bytes in query', bytes: Buffer.concat([Buffer.from('GET /authorize?state='), Buffer.from([0xc0, 0xaf, 0xff, 0xfe, 0x80]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]) },
    { name: 'not HTTP at all', bytes: Buffer.from('\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003', 'latin1'), mayClose: true },
    { name: 'absolute-form target', bytes: Buffer.from(`GET http://evil.example/login HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`) },
    { name: 'path traversal', bytes: request('GET', '/../../etc/passwd') },
    { name: 'encoded path traversal', bytes: request('GET', '/login/..%2f..%2fetc%2fpasswd') },
  ];
  return barrage(cases);
});
await t.check('the server is still up and still runs the authorization endpoint afterwards', async () => {
  await stillServes();
  const r = await fetch(`${t.issuer}/authorize?${goodAuthorize}`, { redirect: 'manual' });
  expect(r.status < 500, `/authorize answered ${r.status}`);
  const m = await (await fetch(`${t.issuer}/.well-known/openid-configuration`)).json();
  expect(m.issuer === t.issuer, `metadata issuer ${m.issuer}`);
  return `/authorize ${r.status}`;
});
callback.close();
await t.finish();

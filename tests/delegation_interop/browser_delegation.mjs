// A person lets an agent book one room, in a real browser. The SDK (zta::auth's
// DelegatedTokenSource with its RFC 8252 loopback consent handler, run by sdk_consent_client)
// builds the authorization request (PKCE S256, requested_actor = the agent, resource,
// authorization_details of type hotel_booking, PAR when advertised) and waits; Debian's chromium
// (npm playwright-core) opens its URL, logs in on the idp's login page, reads the consent page
// (the agent, its owner and the booking in words) and approves; the waiting SDK call receives the
// delegated token, which npm jose verifies through jwks_uri (sub = user, act.sub = agent,
// authorization_details as consented). The SDK refreshes silently; the user revokes the grant
// on /account; the resource server's introspection then says active:false, `zta gateway` (its
// introspection route) refuses the token, and the SDK's next
// refresh is refused, so it asks the person again, who denies (consent_denied). Screenshots of
// the login, consent and account pages go to ARTIFACT_DIR.
// Usage: node browser_delegation.mjs PATH/TO/zta ARTIFACT_DIR PATH/TO/sdk_consent_client
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import * as jose from 'jose';
import { Harness, expect } from './harness.mjs';
import {
  AGENT_NAME, AGENT_OWNER, BOOKING, BOOKING_IN_WORDS, RESOURCE, USER, addHotelRegistry,
  consentText, decide, logIn, postForm, userIdOf,
} from './flows.mjs';

const t = new Harness('browser-delegation', { timeoutMs: 120_000 });
const sdkClient = process.argv[4];
if (!sdkClient) {
  console.error('usage: node browser_delegation.mjs PATH/TO/zta ARTIFACT_DIR PATH/TO/sdk_consent_client');
  process.exit(2);
}
const SCOPE = 'bookings:create';
const CONSENT_TIMEOUT_MS = 30_000;  // how long the SDK waits for the person

// The SDK process: send() a command, next() the next JSON line it prints.
class Sdk {
  constructor(args) {
    this.lines = [];
    this.waiting = [];
    this.stderr = '';
    this.child = spawn(sdkClient, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let event;
      try { event = JSON.parse(line); } catch { event = { event: 'garbled', line }; }
      if (this.waiting.length > 0) this.waiting.shift()(event); else this.lines.push(event);
    });
    process.on('exit', () => this.child.kill('SIGKILL'));
  }
  send(command) { this.child.stdin.write(`${command}\n`); }
  next(ms = 15_000) {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the SDK printed nothing in ${ms} ms; stderr: ${this.stderr.slice(-500)}`)), ms);
      this.waiting.push((e) => { clearTimeout(timer); resolve(e); });
    });
  }
  async expectEvent(kind, ms) {
    const e = await this.next(ms);
    expect(e.event === kind, `the SDK said ${JSON.stringify(e)}, not ${kind}`);
    return e;
  }
}

// The resource behind `zta gateway`: a loopback API that answers 200 and remembers what reached it.
async function startUpstream() {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"booked":true}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return { url: `http://127.0.0.1:${server.address().port}`, seen };
}

// `zta gateway` in front of it, introspecting the booking route's tokens at the idp (RFC 7662),
// so a revoked grant is refused at once. Resolves with the URL it prints.
function startGateway(upstream, resource) {
  return new Promise((resolve, reject) => {
    const gw = spawn(t.zta, [
      'gateway', '--issuer', t.issuer, '--audience', RESOURCE, '--upstream', upstream,
      '--introspect-route', 'POST /api/bookings bookings:create',
      '--introspect-client-id', resource.introspection_client_id,
      '--introspect-secret-env', 'ZTA_TEST_RS_SECRET', '--listen', '127.0.0.1:0',
    ], { stdio: ['ignore', 'pipe', 'pipe'],
         env: { ...process.env, ZTA_TEST_RS_SECRET: resource.introspection_secret } });
    let stderr = '';
    gw.stderr.on('data', (d) => { stderr += d; });
    process.on('exit', () => gw.kill('SIGKILL'));
    const timer = setTimeout(() => reject(new Error(`no "listening on" from zta gateway: ${stderr.slice(-300)}`)), 10_000);
    createInterface({ input: gw.stdout }).on('line', (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    gw.on('exit', (code) => reject(new Error(`zta gateway exited ${code}: ${stderr.slice(-300)}`)));
  });
}
const book = (gateway, tok) => fetch(`${gateway}/api/bookings`, {
  method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
  body: JSON.stringify({ hotel_id: BOOKING.hotel_id, room_id: BOOKING.room_id }),
});

let reg;
let app;
await t.must('registry through the CLI: resource with hotel_booking, agent, user, loopback app', async () => {
  reg = await addHotelRegistry(t);
  // RFC 8252 §7.3: registered without a port, any port of the loopback listener matches.
  app = await t.idp(['app', 'add', 'Chat CLI', '--redirect-uri', 'http://127.0.0.1/callback']);
  expect(app.client_id && app.client_secret, `app add: ${JSON.stringify(app)}`);
  return `user ${userIdOf(reg.user)}, agent ${reg.agent.client_id}, app ${app.client_id}`;
});
await t.must('zta idp serve listens on loopback', () => t.serve());
const metadata = await (await fetch(`${t.issuer}/.well-known/openid-configuration`)).json();

const sdk = new Sdk(['--issuer', t.issuer, '--agent-id', reg.agent.client_id,
                     '--agent-secret', reg.agent.client_secret, '--app-id', app.client_id,
                     '--app-secret', app.client_secret, '--resource', RESOURCE, '--scope', SCOPE,
                     '--user', USER, '--details', JSON.stringify([BOOKING]),
                     '--consent-timeout-ms', String(CONSENT_TIMEOUT_MS)]);
let consentUrl;
let redirectUri;
await t.must('the SDK builds the authorization URL and waits for the person', async () => {
  const ready = await sdk.expectEvent('ready');
  expect(/^http:\/\/127\.0\.0\.1:\d+\/callback$/.test(ready.redirect_uri), `redirect_uri ${ready.redirect_uri}`);
  redirectUri = ready.redirect_uri;
  sdk.send('get');
  const consent = await sdk.expectEvent('consent');
  consentUrl = new URL(consent.url);
  expect(consentUrl.href.startsWith(metadata.authorization_endpoint), `URL ${consent.url}`);
  return consentUrl.searchParams.has('request_uri') ? 'pushed (PAR): request_uri in the URL'
                                                   : `${consentUrl.search.length} bytes of query`;
});

const browser = await t.launchChromium();
const page = await (await browser.newContext()).newPage();
let code;
page.on('request', (r) => {
  const u = new URL(r.url());
  if (u.hostname === '127.0.0.1' && u.pathname === '/callback' && u.searchParams.get('code')) {
    code = u.searchParams.get('code');
  }
});
await t.must('chromium opens it and lands on the login page; the user logs in', async () => {
  await page.goto(consentUrl.href);
  await logIn(t, page, 'delegation');
  return new URL(page.url()).pathname;
});
await t.must('the consent page names the agent, its owner and the booking in words', async () => {
  const text = await consentText(t, page, 'delegation');
  for (const words of [AGENT_NAME, AGENT_OWNER, BOOKING_IN_WORDS]) {
    expect(text.includes(words), `"${words}" is not on the consent page: ${text.slice(0, 800)}`);
  }
  return `"${text.slice(0, 160)}…"`;
});
let token;
await t.must('approve → the waiting SDK call receives the delegated token', async () => {
  await decide(page, 'approve');
  const e = await sdk.next();
  expect(e.event === 'token', `the SDK said ${JSON.stringify(e)}`);
  expect(e.counters.consents_started === 1 && e.counters.codes_redeemed === 1, JSON.stringify(e.counters));
  token = e.access_token;
  await page.waitForLoadState('load');
  expect(new URL(page.url()).pathname === '/callback', `the browser ended at ${page.url()}`);
  return `jti ${e.jti}`;
});
const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));
async function verifyDelegated(accessToken) {
  const { payload } = await jose.jwtVerify(accessToken, jwks, {
    issuer: t.issuer, audience: RESOURCE, typ: 'at+jwt',
    requiredClaims: ['sub', 'act', 'client_id', 'scope', 'exp', 'iat', 'jti'],
  });
  expect(payload.sub === userIdOf(reg.user), `sub ${payload.sub} is not the user ${userIdOf(reg.user)}`);
  expect(payload.act?.sub === reg.agent.client_id, `act ${JSON.stringify(payload.act)}`);
  expect(payload.client_id === app.client_id, `client_id ${payload.client_id}`);
  expect(payload.scope.split(' ').includes(SCOPE), `scope ${payload.scope}`);
  const details = payload.authorization_details;
  expect(Array.isArray(details) && details.length === 1, `authorization_details ${JSON.stringify(details)}`);
  for (const [k, v] of Object.entries(BOOKING)) {
    expect(details[0][k] === v, `authorization_details.${k} = ${JSON.stringify(details[0][k])}`);
  }
  return payload;
}
await t.check('npm jose verifies it through jwks_uri: sub = user, act.sub = agent, the booking', async () => {
  const p = await verifyDelegated(token);
  return `sub ${p.sub}, act.sub ${p.act.sub}, zta_grant ${p.zta_grant}`;
});
const introspect = (tok) => postForm(metadata.introspection_endpoint, { token: tok },
                                     [reg.resource.introspection_client_id, reg.resource.introspection_secret]);
await t.check('the resource server\'s introspection sees the same chain (sub, act, details)', async () => {
  const r = await introspect(token);
  expect(r.status === 200 && r.body.active === true, `${r.status} ${JSON.stringify(r.body)}`);
  expect(r.body.sub === userIdOf(reg.user) && r.body.act?.sub === reg.agent.client_id, JSON.stringify(r.body));
  expect(r.body.authorization_details?.[0]?.hotel_id === BOOKING.hotel_id, JSON.stringify(r.body));
});
let gateway;
let upstream;
await t.check('zta gateway (introspection route) lets the delegated token book', async () => {
  upstream = await startUpstream();
  gateway = await startGateway(upstream.url, reg.resource);
  const r = await book(gateway, token);
  expect(r.status === 200, `the gateway answered ${r.status} ${await r.text()}`);
  expect(upstream.seen.length === 1, `the upstream saw ${upstream.seen.length} requests`);
  return `upstream got ${upstream.seen[0].method} ${upstream.seen[0].url}`;
});
let refreshed;
await t.check('the SDK refreshes silently (rotation, actor token again): no second consent', async () => {
  sdk.send('invalidate');
  await sdk.expectEvent('invalidated');
  sdk.send('get');
  const e = await sdk.next();
  expect(e.event === 'token', `the SDK said ${JSON.stringify(e)}`);
  expect(e.counters.refreshes === 1 && e.counters.consents_started === 1, JSON.stringify(e.counters));
  expect(e.access_token !== token, 'the same access token came back');
  await verifyDelegated(e.access_token);
  refreshed = e.access_token;
  return `jti ${e.jti}`;
});

await t.check(`/account lists the grant; ${USER} revokes it there`, async () => {
  const grantId = jose.decodeJwt(token).zta_grant;
  expect(grantId, 'the access token names no zta_grant');
  await page.goto(`${t.issuer}/account`);
  const row = page.locator('tr', { hasText: AGENT_NAME }).filter({ hasText: RESOURCE });
  expect(await row.count() >= 1, `no row for the agent on /account: ${(await page.locator('body').innerText()).slice(0, 400)}`);
  await t.screenshot(page, 'delegation-account');
  const revoke = page.locator(`form:has(input[name="id"][value="${grantId}"]) button`);
  expect(await revoke.count() === 1, `no revoke button for grant ${grantId}`);
  // The revocation is done once the POST it sends has been answered.
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), revoke.click()]);
  await page.waitForLoadState('load');
  await t.screenshot(page, 'delegation-account-revoked');
  const after = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
  expect(/revoked/i.test(after), `/account does not show the grant revoked: ${after.slice(0, 400)}`);
  return `grant ${grantId}`;
});
await t.check('after revocation introspection says active:false for every token of the grant', async () => {
  for (const [name, tok] of [['first', token], ['refreshed', refreshed]]) {
    expect(tok, `no ${name} token (an earlier check failed)`);
    const r = await introspect(tok);
    expect(r.status === 200 && r.body.active === false, `${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
});
await t.check('after revocation zta gateway refuses the grant\'s tokens (401; cached answers ≤ 5 s)', async () => {
  expect(gateway && refreshed, 'no gateway or no refreshed token (an earlier check failed)');
  const before = upstream.seen.length;
  // The refreshed token was never introspected by the gateway: refused at once.
  const r = await book(gateway, refreshed);
  expect(r.status === 401, `the refreshed token: the gateway answered ${r.status} ${await r.text()}`);
  // The first one was, 200 ms ago: the gateway caches introspection answers for cache_seconds
  // (docs/guard.md, default 5 s), so it is refused within that.
  const start = Date.now();
  let status;
  while (Date.now() - start < 7_000) {
    status = (await book(gateway, token)).status;
    if (status === 401) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(status === 401, `the first token was still let through ${Date.now() - start} ms after revocation`);
  expect(upstream.seen.length - before <= Math.ceil(5_000 / 250) + 1, 'too many requests reached the upstream');
  return `refreshed token at once; first token after ${Date.now() - start} ms (cached answer)`;
});
await t.check('after revocation the SDK\'s refresh is refused; it asks again; the user denies', async () => {
  sdk.send('invalidate');
  await sdk.expectEvent('invalidated');
  sdk.send('get');
  const again = await sdk.expectEvent('consent');  // refresh refused (invalid_grant): ask again
  await page.goto(again.url);  // still signed in: straight to the consent page
  await consentText(t, page, 'delegation-again');
  await decide(page, 'deny');
  const e = await sdk.next();
  expect(e.event === 'error' && e.reason === 'consent_denied', JSON.stringify(e));
  return `${e.counters.refreshes} refreshes, ${e.counters.consents_started} consents started`;
});
await t.check('the code, replayed after all this → invalid_grant', async () => {
  expect(code, 'the browser never went to the callback with a code');
  const r = await postForm(metadata.token_endpoint, {
    grant_type: 'authorization_code', code, redirect_uri: redirectUri,
    code_verifier: 'x'.repeat(43),
  }, [app.client_id, app.client_secret]);
  expect(r.status === 400 && r.body.error === 'invalid_grant', `${r.status} ${JSON.stringify(r.body)}`);
});
sdk.child.stdin.end();
await t.finish();

// Backchannel approval (OpenID CIBA Core 1.0, poll mode) against `zta idp serve`, driven by
// third-party software: npm openid-client (v6) discovers the backchannel endpoint, starts a
// request as the agent (client_secret_basic) and polls with its own interval / slow_down logic;
// Debian's chromium (npm playwright-core) signs in as the user, finds the request on /account
// with its binding message, and approves it; the token openid-client receives is verified with
// npm jose against the idp's JWKS (sub = the user, act = the agent, details as approved). Then a
// denied request (access_denied) and a replayed auth_req_id (invalid_grant).
// Usage: node ciba.mjs PATH/TO/zta [ARTIFACT_DIR]
import * as jose from 'jose';
import * as client from 'openid-client';
import { Harness, expect, sleep } from './harness.mjs';
import {
  AGENT_NAME, BOOKING, BOOKING_IN_WORDS, RESOURCE, USER, addHotelRegistry, logIn, postForm, userIdOf,
} from './flows.mjs';

const t = new Harness('ciba', { timeoutMs: 120_000 });
// JSON with object members in key order: the idp stores details as canonical JSON.
const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));
const CIBA = 'urn:openid:params:grant-type:ciba';

let reg;
await t.must('registry through the CLI: hotel resource, agent, user', async () => {
  reg = await addHotelRegistry(t);
});
await t.must('zta idp serve listens on loopback', () => t.serve());

const insecure = { execute: [client.allowInsecureRequests] };  // http is fine on loopback
let config;
await t.must('openid-client discovery lists the backchannel endpoint, poll mode and the grant', async () => {
  config = await client.discovery(new URL(t.issuer), reg.agent.client_id, undefined,
                                  client.ClientSecretBasic(reg.agent.client_secret), insecure);
  const m = config.serverMetadata();
  expect(m.backchannel_authentication_endpoint === `${t.issuer}/bc-authorize`,
         `backchannel_authentication_endpoint ${m.backchannel_authentication_endpoint}`);
  expect(JSON.stringify(m.backchannel_token_delivery_modes_supported) === '["poll"]',
         `delivery modes ${JSON.stringify(m.backchannel_token_delivery_modes_supported)}`);
  expect(m.backchannel_user_code_parameter_supported === false, 'user_code advertised');
  expect(m.grant_types_supported?.includes(CIBA), `grant types ${m.grant_types_supported}`);
});

// One backchannel request as the agent; `message` is its binding message.
function initiate(message, extra = {}) {
  return client.initiateBackchannelAuthentication(config, {
    login_hint: USER, binding_message: message, scope: 'bookings:create', resource: RESOURCE,
    ...extra,
  });
}

const browser = await t.launchChromium();
const context = await browser.newContext();
const page = await context.newPage();

// On /account (signing in first when asked), the waiting request whose binding message is
// `message`; returns its list item.
async function findWaiting(message) {
  await page.goto(`${t.issuer}/account`);
  if (page.url().includes('/login')) await logIn(t, page);
  await page.waitForURL(/\/account$/, { timeout: 10_000 });
  const item = page.locator('li.backchannel-request', {
    has: page.locator('q.binding-message', { hasText: message }),
  });
  try {
    await item.first().waitFor({ timeout: 5_000 });
  } catch {
    const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
    throw new Error(`no waiting request "${message}" on /account: "${text.slice(0, 500)}"`);
  }
  return item.first();
}

const APPROVE_MESSAGE = 'Book r-12 at Harbour View, 240 USD';
let approved;
let started;
await t.must('openid-client starts a backchannel request (auth_req_id, expires_in, interval)', async () => {
  started = await initiate(APPROVE_MESSAGE, { authorization_details: JSON.stringify([BOOKING]) });
  expect(typeof started.auth_req_id === 'string' && started.auth_req_id.length >= 22,
         `auth_req_id ${started.auth_req_id?.length}`);
  expect(started.expires_in === 300 && started.interval === 5,
         `expires_in ${started.expires_in}, interval ${started.interval}`);
});

await t.must('chromium signs in, reads the binding message on /account and approves; the poll gets the token', async () => {
  // openid-client waits `interval` before each poll; approving after 6 s makes its first poll
  // see authorization_pending and its second one the tokens.
  const polling = client.pollBackchannelAuthenticationGrant(config, started);
  const item = await findWaiting(APPROVE_MESSAGE);
  const text = (await item.innerText()).replace(/\s+/g, ' ');
  expect(text.includes(AGENT_NAME), `agent name missing: "${text}"`);
  expect(text.includes(BOOKING_IN_WORDS), `details in words missing: "${text}"`);
  expect(/Time left: \d/.test(text), `time left missing: "${text}"`);
  expect(!(await page.content()).includes(started.auth_req_id), 'the page holds the auth_req_id');
  await t.screenshot(page, 'ciba-account');
  await sleep(6_000);
  await Promise.all([page.waitForURL(/\/account$/),
                     item.locator('button[name="decision"][value="approve"]').click()]);
  approved = await polling;
  expect(approved.access_token, `no access token: ${JSON.stringify(approved)}`);
  expect(approved.refresh_token === undefined, 'a refresh token was issued');
  return `scope ${approved.scope}`;
});

await t.check('npm jose verifies the token against /jwks: sub = user, act = agent, details as approved', async () => {
  const jwks = jose.createRemoteJWKSet(new URL(`${t.issuer}/jwks`));
  const { payload, protectedHeader } = await jose.jwtVerify(approved.access_token, jwks, {
    issuer: t.issuer, audience: RESOURCE, typ: 'at+jwt',
  });
  expect(payload.sub === userIdOf(reg.user), `sub ${payload.sub}`);
  expect(payload.client_id === reg.agent.client_id, `client_id ${payload.client_id}`);
  expect(payload.act?.sub === reg.agent.client_id, `act ${JSON.stringify(payload.act)}`);
  expect(payload.zta_agent?.name === AGENT_NAME, `zta_agent ${JSON.stringify(payload.zta_agent)}`);
  expect(payload.scope === 'bookings:create', `scope ${payload.scope}`);
  expect(canonical(payload.authorization_details) === canonical([BOOKING]),
         `authorization_details ${JSON.stringify(payload.authorization_details)}`);
  expect(typeof payload.zta_grant === 'string', 'no zta_grant');
  return `${protectedHeader.alg}, kid ${protectedHeader.kid}`;
});

await t.check('the same auth_req_id polled again is invalid_grant (single redemption)', async () => {
  const r = await postForm(`${t.issuer}/token`, { grant_type: CIBA, auth_req_id: started.auth_req_id },
                           [reg.agent.client_id, reg.agent.client_secret]);
  expect(r.status === 400 && r.body.error === 'invalid_grant', `${r.status} ${JSON.stringify(r.body)}`);
});

await t.check('a request the user denies on /account ends openid-client\'s poll with access_denied', async () => {
  const message = 'Cancel booking b-7';
  const denied = await initiate(message);
  const polling = client.pollBackchannelAuthenticationGrant(config, denied).then(
    () => { throw new Error('the poll returned tokens'); },
    (err) => err);
  const item = await findWaiting(message);
  await t.screenshot(page, 'ciba-account-deny');
  await Promise.all([page.waitForURL(/\/account$/),
                     item.locator('button[name="decision"][value="deny"]').click()]);
  const err = await polling;
  expect(err?.error === 'access_denied', `poll ended with ${err?.error ?? err}`);
  const after = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
  expect(!after.includes(message), 'the denied request is still waiting on /account');
});

await t.check('an unknown user is unknown_user_id, a control character invalid_binding_message', async () => {
  const refused = async (params) => {
    try {
      await client.initiateBackchannelAuthentication(config, params);
    } catch (err) {
      return err?.error;
    }
    return 'accepted';
  };
  const base = { scope: 'bookings:create', resource: RESOURCE };
  const unknown = await refused({ ...base, login_hint: 'mallory', binding_message: 'hi' });
  expect(unknown === 'unknown_user_id', `unknown user: ${unknown}`);
  const control = await refused({ ...base, login_hint: USER, binding_message: 'pay\u0007now' });
  expect(control === 'invalid_binding_message', `control character: ${control}`);
  const bidi = await refused({ ...base, login_hint: USER, binding_message: 'pay \u202e01 DSU' });
  expect(bidi === 'invalid_binding_message', `bidi override: ${bidi}`);
});

await context.close();
await t.finish();

// The pieces of the authorization code flow the browser and openid-client tests share: the hotel
// registry (resource with a `hotel_booking` authorization_details type, an agent, a user, apps),
// PKCE, an RFC 8252 loopback redirect listener, the token endpoint, and login + consent in
// chromium (form fields `username`, `password`; `<button name="decision" value="approve">`).
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { expect } from './harness.mjs';

export const RESOURCE = 'https://hotel.example/api';
export const RESOURCE_SCOPES = 'hotels:read bookings:create';
export const AGENT_NAME = 'Guest Assistant';
export const AGENT_OWNER = 'ops@example.test';
export const USER = 'alice';
export const PASSWORD = 'correct horse battery staple';
export const DETAILS_TEXT =
    'book room {room_id} at {hotel_id}, {check_in} to {check_out}, up to {max_total} {currency}';
export const BOOKING = {
  type: 'hotel_booking', hotel_id: 'h-harbour-view', room_id: 'r-12',
  check_in: '2026-12-03', check_out: '2026-12-05', max_total: 240, currency: 'USD',
};
export const BOOKING_IN_WORDS =
    'book room r-12 at h-harbour-view, 2026-12-03 to 2026-12-05, up to 240 USD';
export const BOOKING_SCHEMA = {
  type: 'object',
  required: ['type', 'hotel_id', 'room_id', 'check_in', 'check_out', 'max_total', 'currency'],
  properties: {
    type: { const: 'hotel_booking' },
    hotel_id: { type: 'string' }, room_id: { type: 'string' },
    check_in: { type: 'string' }, check_out: { type: 'string' },
    max_total: { type: 'number' }, currency: { type: 'string' },
  },
};

const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const randomToken = () => b64url(randomBytes(32));

// RFC 7636 §4.1–4.2: a 43-character verifier and its S256 challenge.
export function pkce() {
  const verifier = randomToken();
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

// The user's stable id from `zta idp user add`'s JSON, whatever the member is called.
export const userIdOf = (user) => user.id ?? user.user_id ?? user.sub;

// The hotel resource (with its details type and introspection secret), the agent and the user.
export async function addHotelRegistry(t) {
  const schemaPath = join(t.work, 'hotel_booking.schema.json');
  writeFileSync(schemaPath, JSON.stringify(BOOKING_SCHEMA));
  const resource = await t.idp(['resource', 'add', RESOURCE, '--scopes', RESOURCE_SCOPES,
                                '--introspection-secret', '--details-type', 'hotel_booking',
                                '--details-schema', schemaPath, '--details-text', DETAILS_TEXT]);
  const agent = await t.idp(['agent', 'add', AGENT_NAME, '--owner', AGENT_OWNER,
                             '--resource', RESOURCE, '--scopes', RESOURCE_SCOPES,
                             '--description', 'books hotel rooms for guests']);
  const user = await t.idp(['user', 'add', USER, '--password-stdin'], `${PASSWORD}\n`);
  expect(userIdOf(user), `user add printed no id: ${JSON.stringify(user)}`);
  return { resource, agent, user };
}

// An RFC 8252 §7.3 loopback redirect listener: resolves next() with each redirect's URL.
export async function loopbackRedirect(path = '/callback') {
  const waiting = [];
  const arrived = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
    if (waiting.length > 0) waiting.shift()(url); else arrived.push(url);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return {
    uri: `http://127.0.0.1:${server.address().port}${path}`,
    next: () => (arrived.length > 0 ? Promise.resolve(arrived.shift())
                                    : new Promise((resolve) => waiting.push(resolve))),
    close: () => server.close(),
  };
}

// POST to the token endpoint (form body, optional HTTP Basic); returns { status, body }.
export async function postForm(url, params, basic) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    const enc = (s) => encodeURIComponent(s);  // RFC 6749 §2.3.1: form-encode, then Base64
    headers.authorization = `Basic ${Buffer.from(`${enc(basic[0])}:${enc(basic[1])}`).toString('base64')}`;
  }
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params) });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { raw: text }; }
  return { status: res.status, body };
}

// The agent's own access token (client_credentials), the actor_token of a delegated redemption.
export async function agentToken(issuer, agent) {
  const r = await postForm(`${issuer}/token`, { grant_type: 'client_credentials', resource: RESOURCE },
                           [agent.client_id, agent.client_secret]);
  expect(r.status === 200 && r.body.access_token, `agent token: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

// Logs in on the page the authorization URL led to (when it is the login form). Screenshot
// named `${shots}-login` before submitting.
export async function logIn(t, page, shots) {
  const username = page.locator('input[name="username"]');
  await username.waitFor({ timeout: 10_000 });
  await username.fill(USER);
  await page.locator('input[name="password"]').fill(PASSWORD);
  if (shots) await t.screenshot(page, `${shots}-login`);
  await Promise.all([page.waitForLoadState('load'),
                     page.locator('form:has(input[name="password"]) [type="submit"], form:has(input[name="password"]) button').first().click()]);
}

// On the consent page: returns its visible text (and screenshots it as `${shots}-consent`).
export async function consentText(t, page, shots) {
  const approve = page.locator('button[name="decision"][value="approve"]');
  try {
    await approve.waitFor({ timeout: 10_000 });
  } catch {
    const text = (await page.locator('body').innerText().catch(() => '')).replace(/\s+/g, ' ');
    throw new Error(`no consent page: at ${page.url()}: "${text.slice(0, 400)}"`);
  }
  if (shots) await t.screenshot(page, `${shots}-consent`);
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ');
}

export async function decide(page, decision) {
  await page.locator(`button[name="decision"][value="${decision}"]`).click();
}

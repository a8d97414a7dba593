// npm openid-client runs the OpenID Connect authorization code flow with PKCE against
// `zta idp serve`, for a public app (PKCE alone) and a confidential app (client_secret_basic,
// pushed authorization request, requested_actor + actor_token): discovery from
// /.well-known/openid-configuration, the ID token validated by openid-client (iss, aud, exp,
// nonce, at_hash…), userinfo, refresh with rotation (a new refresh token; the old one refused
// afterwards), and `resource` / `authorization_details` passed through to the tokens. The login
// and consent pages are completed in Debian's chromium (npm playwright-core).
// Usage: node openid_client_code.mjs PATH/TO/zta [ARTIFACT_DIR]
import * as jose from 'jose';
import * as client from 'openid-client';
import { Harness, expect } from './harness.mjs';
import {
  BOOKING, RESOURCE, addHotelRegistry, agentToken, consentText, decide, logIn, loopbackRedirect,
  userIdOf,
} from './flows.mjs';

const t = new Harness('openid-client-code', { timeoutMs: 90_000 });
const ACTOR_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

let reg;
let publicApp;
let confidentialApp;
let callback;
await t.must('registry through the CLI: hotel resource, agent, user, a public and a confidential app', async () => {
  reg = await addHotelRegistry(t);
  callback = await loopbackRedirect();
  publicApp = await t.idp(['app', 'add', 'Public CLI', '--redirect-uri', callback.uri, '--public']);
  expect(publicApp.client_id && publicApp.client_secret === undefined, `public app: ${JSON.stringify(publicApp)}`);
  confidentialApp = await t.idp(['app', 'add', 'Web Chat', '--redirect-uri', callback.uri]);
  expect(confidentialApp.client_secret, `confidential app: ${JSON.stringify(confidentialApp)}`);
});
await t.must('zta idp serve listens on loopback', () => t.serve());

const insecure = { execute: [client.allowInsecureRequests] };  // http is fine on loopback
let pub;
let conf;
await t.must('openid-client discovery (/.well-known/openid-configuration)', async () => {
  pub = await client.discovery(new URL(t.issuer), publicApp.client_id, undefined, client.None(), insecure);
  conf = await client.discovery(new URL(t.issuer), confidentialApp.client_id, undefined,
                                client.ClientSecretBasic(confidentialApp.client_secret), insecure);
  const m = pub.serverMetadata();
  expect(m.issuer === t.issuer, `issuer ${m.issuer}`);
  for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
                     'pushed_authorization_request_endpoint']) {
    expect(typeof m[key] === 'string' && m[key].startsWith(t.issuer), `${key} ${m[key]}`);
  }
  expect(m.code_challenge_methods_supported?.includes('S256'), 'S256 not advertised');
  expect(m.grant_types_supported?.includes('authorization_code'), 'authorization_code not advertised');
  expect(m.grant_types_supported?.includes('refresh_token'), 'refresh_token not advertised');
  expect(m.authorization_response_iss_parameter_supported === true, 'RFC 9207 iss not advertised');
  expect(m.authorization_details_types_supported?.includes('hotel_booking'), 'hotel_booking not advertised');
  return `${m.id_token_signing_alg_values_supported ?? '?'} ID tokens`;
});

const browser = await t.launchChromium();

// One authorization through the browser: returns the URL the loopback listener received and
// whether a consent page was shown (consent to scopes alone may be remembered; with
// authorization_details it is always asked).
async function authorizeInBrowser(url, shots) {
  const context = await browser.newContext();  // a fresh browser: no session yet, so a login
  const page = await context.newPage();
  const timeout = (what) => new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`${what}; page at ${page.url()}`)), 10_000));
  try {
    await page.goto(url.href);
    const arrived = callback.next();
    await logIn(t, page, shots);
    const approve = page.locator('button[name="decision"][value="approve"]');
    const first = await Promise.race([
      arrived.then(() => 'redirect'), approve.waitFor().then(() => 'consent'),
      timeout('neither a consent page nor a redirect after login')]);
    if (first === 'consent') {
      await consentText(t, page, shots);
      await decide(page, 'approve');
    }
    return { redirect: await Promise.race([arrived, timeout('no redirect')]), consent: first === 'consent' };
  } finally {
    await context.close();
  }
}

// Runs the flow for one app; `extra` adds authorization parameters, `tokenParams` token ones.
async function codeFlow(config, { par = false, extra = {}, tokenParams = {}, shots } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: callback.uri, scope: 'openid bookings:create', resource: RESOURCE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    state, nonce, ...extra,
  };
  for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
  const url = par ? await client.buildAuthorizationUrlWithPAR(config, params)
                  : client.buildAuthorizationUrl(config, params);
  if (par) expect(url.searchParams.get('request_uri'), `no request_uri in ${url.href}`);
  const { redirect, consent } = await authorizeInBrowser(url, shots);
  // openid-client checks state, iss (RFC 9207), the code exchange and the ID token.
  const tokens = await client.authorizationCodeGrant(config, redirect, {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  }, tokenParams);
  return { tokens, nonce, consent };
}

const results = {};
const jwks = jose.createRemoteJWKSet(new URL(pub.serverMetadata().jwks_uri));
async function accessClaims(token) {
  return (await jose.jwtVerify(token, jwks, { issuer: t.issuer, audience: RESOURCE, typ: 'at+jwt' })).payload;
}

await t.check('public app: code flow with PKCE, authorization_details and resource; ID token valid', async () => {
  const { tokens, nonce, consent } = await codeFlow(pub, {
    extra: { authorization_details: JSON.stringify([BOOKING]) }, shots: 'openid-public',
  });
  expect(consent, 'a request with authorization_details was approved without a consent page');
  const idc = tokens.claims();
  expect(idc.sub === userIdOf(reg.user), `ID token sub ${idc.sub}`);
  expect(idc.aud === publicApp.client_id || idc.aud?.includes?.(publicApp.client_id), `aud ${idc.aud}`);
  expect(idc.nonce === nonce && typeof idc.auth_time === 'number', `nonce/auth_time ${JSON.stringify(idc)}`);
  expect(tokens.authorization_details?.[0]?.room_id === BOOKING.room_id,
         `token response authorization_details ${JSON.stringify(tokens.authorization_details)}`);
  const at = await accessClaims(tokens.access_token);
  expect(at.sub === userIdOf(reg.user) && at.act === undefined, `sub ${at.sub}, act ${JSON.stringify(at.act)}`);
  expect(at.client_id === publicApp.client_id, `client_id ${at.client_id}`);
  expect(at.authorization_details?.[0]?.hotel_id === BOOKING.hotel_id, `details ${JSON.stringify(at.authorization_details)}`);
  results.pub = tokens;
  return `ID token ${jose.decodeProtectedHeader(tokens.id_token).alg}, aud ${at.aud}`;
});
await t.check('public app: userinfo answers for the user', async () => {
  expect(results.pub, 'no tokens (the flow failed)');
  // userinfo is for an access token with the openid scope; its audience is the idp itself when
  // no resource is asked for, so a token for the userinfo call is obtained without `resource`.
  const { tokens } = await codeFlow(pub, {});
  const info = await client.fetchUserInfo(pub, tokens.access_token, userIdOf(reg.user));
  expect(info.sub === userIdOf(reg.user), `sub ${info.sub}`);
  results.pubUserinfo = tokens;
  return JSON.stringify(info);
});
await t.check('public app: refresh rotates the refresh token; the old one is refused afterwards', async () => {
  const first = results.pubUserinfo ?? results.pub;
  expect(first?.refresh_token, `no refresh token: ${JSON.stringify(Object.keys(first ?? {}))}`);
  const second = await client.refreshTokenGrant(pub, first.refresh_token);
  expect(second.refresh_token && second.refresh_token !== first.refresh_token, 'refresh token not rotated');
  expect(second.access_token && second.access_token !== first.access_token, 'no new access token');
  let refused;
  try {
    await client.refreshTokenGrant(pub, first.refresh_token);
  } catch (err) {
    refused = err instanceof client.ResponseBodyError ? err.error : String(err);
  }
  expect(refused === 'invalid_grant', `the old refresh token: ${refused ?? 'accepted'}`);
  // RFC 9700 §4.14.2: reuse revokes the family, so the newest one is refused too.
  let family;
  try {
    await client.refreshTokenGrant(pub, second.refresh_token);
  } catch (err) {
    family = err instanceof client.ResponseBodyError ? err.error : String(err);
  }
  expect(family === 'invalid_grant', `the rotated refresh token after reuse: ${family ?? 'accepted'}`);
  return 'reuse revoked the family';
});

let actorToken;
await t.check('confidential app: PAR + requested_actor + actor_token → delegated token, ID token valid', async () => {
  actorToken = await agentToken(t.issuer, reg.agent);
  const { tokens } = await codeFlow(conf, {
    par: true, shots: 'openid-confidential',
    extra: { requested_actor: reg.agent.client_id, authorization_details: JSON.stringify([BOOKING]) },
    tokenParams: { actor_token: actorToken, actor_token_type: ACTOR_TOKEN_TYPE },
  });
  expect(tokens.claims().sub === userIdOf(reg.user), `ID token sub ${tokens.claims().sub}`);
  const at = await accessClaims(tokens.access_token);
  expect(at.sub === userIdOf(reg.user), `sub ${at.sub}`);
  expect(at.act?.sub === reg.agent.client_id, `act ${JSON.stringify(at.act)}`);
  expect(at.client_id === confidentialApp.client_id, `client_id ${at.client_id}`);
  expect(at.authorization_details?.[0]?.max_total === BOOKING.max_total, `details ${JSON.stringify(at.authorization_details)}`);
  results.conf = tokens;
  return `act.sub ${at.act.sub}`;
});
await t.check('confidential app: refresh with the actor_token rotates; without it, refused', async () => {
  const first = results.conf;
  expect(first?.refresh_token, 'no refresh token (the flow failed)');
  const withActor = { actor_token: actorToken, actor_token_type: ACTOR_TOKEN_TYPE };
  const second = await client.refreshTokenGrant(conf, first.refresh_token, withActor);
  expect(second.refresh_token && second.refresh_token !== first.refresh_token, 'refresh token not rotated');
  const at = await accessClaims(second.access_token);
  expect(at.act?.sub === reg.agent.client_id, `act after refresh ${JSON.stringify(at.act)}`);
  expect(at.authorization_details?.[0]?.room_id === BOOKING.room_id, 'details changed on refresh');
  const refusal = async (token, params) => {
    try {
      await client.refreshTokenGrant(conf, token, params);
    } catch (err) {
      return err instanceof client.ResponseBodyError ? err.error : String(err);
    }
    return 'accepted';
  };
  // A stolen refresh token alone is useless: the agent's actor_token must come with it.
  const withoutActor = await refusal(second.refresh_token, {});
  expect(withoutActor === 'invalid_grant', `refresh without actor_token: ${withoutActor}`);
  const old = await refusal(first.refresh_token, withActor);
  expect(old === 'invalid_grant', `the old refresh token: ${old}`);
  return 'rotated; refused without actor_token and for the old one';
});

// RFC 8693 token exchange with openid-client's generic grant: the guest assistant's delegated
// token (a fresh confidential-app flow: sub = the user, act = the agent; the grant above was
// revoked by the refresh reuse) is exchanged by a second agent, the booking agent, along a
// delegation rule added through the CLI while the server runs.
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
let booking;
let exchanged;
await t.check('token exchange (openid-client genericGrantRequest): user → guest → booking agent', async () => {
  const { tokens } = await codeFlow(conf, {
    par: true,
    extra: { requested_actor: reg.agent.client_id, authorization_details: JSON.stringify([BOOKING]) },
    tokenParams: { actor_token: actorToken, actor_token_type: ACTOR_TOKEN_TYPE },
  });
  results.guest = tokens;
  booking = await t.idp(['agent', 'add', 'Booking Agent', '--owner', 'ops@example.test',
                         '--resource', RESOURCE, '--scopes', 'bookings:create']);
  await t.idp(['agent', 'delegate', reg.agent.client_id, booking.client_id,
               '--resource', RESOURCE, '--scopes', 'bookings:create', '--max-depth', '2']);
  await new Promise((resolve) => setTimeout(resolve, 400));  // the server re-reads the registry
  const bookingConfig = await client.discovery(new URL(t.issuer), booking.client_id, undefined,
                                               client.ClientSecretBasic(booking.client_secret), insecure);
  const own = await agentToken(t.issuer, booking);
  const narrower = [{ ...BOOKING, max_total: BOOKING.max_total - 1 }];
  const response = await client.genericGrantRequest(bookingConfig, EXCHANGE, {
    subject_token: results.guest.access_token, subject_token_type: ACTOR_TOKEN_TYPE,
    actor_token: own, actor_token_type: ACTOR_TOKEN_TYPE, resource: RESOURCE,
    scope: 'bookings:create', authorization_details: JSON.stringify(narrower),
  });
  expect(response.issued_token_type === ACTOR_TOKEN_TYPE, `issued_token_type ${response.issued_token_type}`);
  expect(response.refresh_token === undefined, 'an exchange answered a refresh token');
  const at = await accessClaims(response.access_token);
  const subject = await accessClaims(results.guest.access_token);
  expect(at.sub === subject.sub, `sub ${at.sub} vs ${subject.sub}`);
  expect(at.client_id === booking.client_id, `client_id ${at.client_id}`);
  expect(at.act?.sub === booking.client_id && at.act?.act?.sub === reg.agent.client_id &&
         at.act.act.act === undefined, `act ${JSON.stringify(at.act)}`);
  expect(at.exp <= subject.exp, `exp ${at.exp} after the subject's ${subject.exp}`);
  expect(at.authorization_details?.[0]?.max_total === narrower[0].max_total,
         `details ${JSON.stringify(at.authorization_details)}`);
  exchanged = { token: response.access_token, config: bookingConfig, own };
  return `act ${JSON.stringify(at.act)}`;
});
await t.check('token exchange refusals: scope or details escalation, no rule for the reverse hop', async () => {
  expect(exchanged, 'no exchanged token (the exchange failed)');
  const refusal = async (config, params) => {
    try {
      await client.genericGrantRequest(config, EXCHANGE, params);
    } catch (err) {
      return err instanceof client.ResponseBodyError ? err.error : String(err);
    }
    return 'accepted';
  };
  const base = { subject_token: results.guest.access_token, subject_token_type: ACTOR_TOKEN_TYPE,
                 actor_token: exchanged.own, actor_token_type: ACTOR_TOKEN_TYPE };
  const scope = await refusal(exchanged.config, { ...base, scope: 'hotels:read' });
  expect(scope === 'invalid_scope', `scope escalation: ${scope}`);
  const wider = [{ ...BOOKING, max_total: BOOKING.max_total + 1 }];
  const details = await refusal(exchanged.config, { ...base, authorization_details: JSON.stringify(wider) });
  expect(details === 'invalid_authorization_details', `details escalation: ${details}`);
  // The guest assistant may not take the booking agent's token back: no rule that way.
  const guestConfig = await client.discovery(new URL(t.issuer), reg.agent.client_id, undefined,
                                             client.ClientSecretBasic(reg.agent.client_secret), insecure);
  const back = await refusal(guestConfig, { ...base, subject_token: exchanged.token,
                                            actor_token: actorToken });
  expect(back === 'invalid_grant', `reverse hop: ${back}`);
  return 'invalid_scope, invalid_authorization_details, invalid_grant';
});
await t.check('revoking the guest assistant\'s token makes the exchanged token inactive', async () => {
  expect(exchanged, 'no exchanged token (the exchange failed)');
  const active = async (token) => (await client.tokenIntrospection(exchanged.config, token)).active;
  expect(await active(exchanged.token) === true, 'the exchanged token is not active');
  await client.tokenRevocation(conf, results.guest.access_token);
  expect(await active(exchanged.token) === false, 'still active after the subject was revoked');
  return 'inactive';
});
callback.close();
await t.finish();

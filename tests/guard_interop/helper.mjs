// Interop helper for tests/guard_interop/run.sh, on one loopback port:
//   - a second, Entra-style issuer: discovery + JWKS for a test key (typ "JWT", scp, roles, azp);
//   - a token mint: GET /mint/<case> returns a token crafted for one negative or positive case;
//   - an echo upstream: any other path answers with the request's method, target and headers.
// Prints "listening on http://127.0.0.1:PORT". Usage: node helper.mjs OIDC_ISSUER AUDIENCE
import http from 'node:http';
import { SignJWT, generateKeyPair, exportJWK, base64url } from 'jose';

const [oidcIssuer, audience] = process.argv.slice(2);
const { privateKey, publicKey } = await generateKeyPair('RS256');
const rogue = await generateKeyPair('ES256');
const pub = { ...(await exportJWK(publicKey)), kid: 'entra-1', alg: 'RS256', use: 'sig' };
let issuer = '';

const now = () => Math.floor(Date.now() / 1000);
const entra = (claims, exp = now() + 600) =>
  new SignJWT({ azp: 'entra-app', ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'entra-1' })
    .setIssuer(issuer).setSubject('user-oid-1').setAudience(audience)
    .setIssuedAt().setExpirationTime(exp).setJti(`entra-${Math.random()}`).sign(privateKey);

const cases = {
  // Accepted through claim mapping: scp array + roles.
  entra: () => entra({ scp: ['read_hotels'], roles: ['create_bookings'] }),
  entra_expired: () => entra({ scp: ['read_hotels'] }, now() - 600),
  entra_wrong_aud: () =>
    new SignJWT({ scp: ['read_hotels'] }).setProtectedHeader({ alg: 'RS256', kid: 'entra-1' })
      .setIssuer(issuer).setSubject('u').setAudience('https://other.example/api')
      .setIssuedAt().setExpirationTime(now() + 600).sign(privateKey),
  // Signed by a key nobody trusts, claiming an issuer nobody trusts.
  untrusted: () =>
    new SignJWT({ scope: 'read_hotels create_bookings', client_id: 'x' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'rogue' })
      .setIssuer('http://127.0.0.1:1').setSubject('x').setAudience(audience)
      .setIssuedAt().setExpirationTime(now() + 300).sign(rogue.privateKey),
  // Claims the node-oidc-provider issuer, with a kid that issuer never published.
  unknown_kid: () =>
    new SignJWT({ scope: 'read_hotels', client_id: 'hotel-agent' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'rotated-away' })
      .setIssuer(oidcIssuer).setSubject('hotel-agent').setAudience(audience)
      .setIssuedAt().setExpirationTime(now() + 300).sign(rogue.privateKey),
  // alg none with otherwise perfect claims for the node-oidc-provider issuer (RFC 8725 §2.1).
  alg_none: async () => {
    const h = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const p = base64url.encode(JSON.stringify({
      iss: oidcIssuer, sub: 'hotel-agent', aud: audience, client_id: 'hotel-agent',
      scope: 'read_hotels create_bookings', iat: now(), exp: now() + 300, jti: 'none-1' }));
    return `${h}.${p}.`;
  },
};

const server = http.createServer(async (req, res) => {
  const path = req.url.split('?')[0];
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (path === '/.well-known/openid-configuration') {
    return json(200, { issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` });
  }
  if (path === '/jwks') return json(200, { keys: [pub] });
  if (path.startsWith('/mint/')) {
    const make = cases[path.slice(6)];
    if (!make) return json(404, { error: 'no such case' });
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end(await make());
  }
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => json(200, { method: req.method, target: req.url, headers: req.headers, body }));
});
server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  console.log(`listening on ${issuer}`);
});

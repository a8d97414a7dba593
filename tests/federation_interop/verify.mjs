// Verifies a zta access token with npm jose against the idp's published key set, and prints its
// claims as JSON; with a third argument, also prints the federated local subject zta must give
// (issuer, subject) per docs/delegation.md: "fed-" + base64url(SHA-256(iss "\n" sub))[0:22].
//   node verify.mjs IDP_ISSUER AUDIENCE TOKEN            → claims JSON, exit 0 when valid
//   node verify.mjs --local-subject ISSUER SUBJECT      → the local subject
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';

if (process.argv[2] === '--local-subject') {
  const digest = createHash('sha256').update(`${process.argv[3]}\n${process.argv[4]}`).digest();
  console.log('fed-' + digest.toString('base64url').slice(0, 22));
  process.exit(0);
}
const [issuer, audience, token] = process.argv.slice(2);
const meta = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
try {
  const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(meta.jwks_uri)),
    { issuer, audience, typ: 'at+jwt' });
  console.log(JSON.stringify({ header: protectedHeader, claims: payload }));
} catch (e) {
  console.error(`jose: ${e.code || e.message}`);
  process.exit(1);
}

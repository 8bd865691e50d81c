// A real OpenID provider for the single sign-on tests (the npm `oidc-provider`, certified),
// started on loopback by tests/oidc/fixtures.py in its own process:
//
//   node tests/oidc/provider.mjs PORT ACCOUNTS_JSON REDIRECT_URI POST_LOGOUT_REDIRECT_URI
//
// One confidential client (`caseassure`), authorisation code flow with PKCE required, RS256
// ID tokens, RP-initiated logout. The sign-in page is the library's development page (any
// password); the accounts and their `groups` claim are read from ACCOUNTS_JSON at every
// sign-in, so a test can take a group away at the provider. Groups go in the ID token as
// Microsoft Entra ID sends them, and in userinfo.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, accountsFile, redirectUri, postLogoutUri] = process.argv.slice(2);
if (!postLogoutUri) {
  console.error('usage: provider.mjs PORT ACCOUNTS_JSON REDIRECT_URI POST_LOGOUT_REDIRECT_URI');
  process.exit(2);
}
const CLIENT_ID = 'caseassure';
const CLIENT_SECRET = 'a-test-client-secret-of-some-length';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

function accounts() {
  return JSON.parse(readFileSync(accountsFile, 'utf8'));
}

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true }, // S256 only (the library's sole method)
  jwks: { keys: [signingKey] },
  cookies: { keys: ['a-test-cookie-key-of-some-length'] },
  claims: {
    openid: ['sub', 'groups'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  conformIdTokenClaims: false, // the groups in the ID token too, as Entra ID sends them
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const person = accounts()[id];
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email_verified: true, ...accounts()[id] };
      },
    };
  },
  // A first-party application the organisation has consented to for everyone (as an Entra
  // admin consent does): no consent page after signing in.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['groups', 'email', 'name', 'preferred_username']);
    await grant.save();
    return grant;
  },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, error) => console.error('server_error', error));
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

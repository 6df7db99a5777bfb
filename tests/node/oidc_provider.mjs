// A real OpenID Connect provider (the npm package oidc-provider) for the tests, on loopback.
//
//   node oidc_provider.mjs --port PORT [--audience URL] [--access-token-ttl S] [--short-ttl S]
//                          [--poll-interval S] [--clock-ahead S]
//
// It plays a university's identity provider in front of openeo-gip: access tokens are JWTs (RFC 9068)
// for the openEO API's audience, signed with a key made at start. Its clients:
//   gip-robot        confidential, client credentials (secret "robot-secret"): scripts and CI
//   gip-robot-brief  like gip-robot, but its tokens live --short-ttl seconds: for expiry tests
//   gip-cli          public, device code and refresh tokens: the openEO clients of people
// Any login name signs in (the development login pages of oidc-provider; the password is not checked).
// Prints "ready ISSUER" on stdout once it listens.
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    audience: { type: 'string', default: 'https://openeo.test/' },
    // A second API the robot may ask tokens for: tokens for it must not open openeo-gip.
    'other-audience': { type: 'string', default: 'https://other-service.test/' },
    'access-token-ttl': { type: 'string', default: '300' },
    'short-ttl': { type: 'string', default: '2' },
    // RFC 8628 lets the provider choose how often devices poll (5 s when it says nothing).
    'poll-interval': { type: 'string', default: '1' },
    // Seconds this provider's clock runs ahead of the machine's, as an IdP's clock may.
    'clock-ahead': { type: 'string', default: '0' },
  },
});
if (!args.port) {
  console.error('usage: node oidc_provider.mjs --port PORT [options]');
  process.exit(2);
}
const clockAhead = Number(args['clock-ahead']) * 1000;
if (clockAhead) {
  const machineNow = Date.now;
  Date.now = () => machineNow() + clockAhead;
}
const issuer = `http://127.0.0.1:${args.port}`;
const accessTokenTTL = Number(args['access-token-ttl']);
const shortTTL = Number(args['short-ttl']);
const BRIEF_CLIENT = 'gip-robot-brief';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const signingKey = {
  ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: `test-${crypto.randomUUID()}`,
  alg: 'RS256',
  use: 'sig',
};

// What a university directory would say about a person: the login name is the subject.
function claimsOf(login) {
  return {
    sub: login,
    preferred_username: login,
    name: login,
    email: `${login}@university.test`,
    email_verified: true,
  };
}

const configuration = {
  clients: [
    {
      client_id: 'gip-robot',
      client_secret: 'robot-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      client_id: BRIEF_CLIENT,
      client_secret: 'brief-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      client_id: 'gip-cli',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'none',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  async findAccount(ctx, sub) {
    return { accountId: sub, claims: async () => claimsOf(sub) };
  },
  // Like Keycloak, put the user's name and e-mail into the access token, so the API needs no userinfo call.
  async extraTokenClaims(ctx, token) {
    if (!token.accountId) return undefined;
    const { preferred_username: preferredUsername, email } = claimsOf(token.accountId);
    return { preferred_username: preferredUsername, email };
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Clients of openEO never send `resource`: their tokens are for the openEO API unless they ask.
      defaultResource: async () => args.audience,
      // ... even when they also asked for `openid` (otherwise the token would be for the userinfo endpoint).
      useGrantedResource: async () => true,
      async getResourceServerInfo(ctx, resourceIndicator, client) {
        if (resourceIndicator !== args.audience && resourceIndicator !== args['other-audience']) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: 'openeo',
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: client.clientId === BRIEF_CLIENT ? shortTTL : accessTokenTTL,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  // Tokens for an API live as long as getResourceServerInfo says (a plain number here would override it).
  ttl: {
    AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL || accessTokenTTL,
    ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL || accessTokenTTL,
    DeviceCode: 300,
    Grant: 3600,
    IdToken: accessTokenTTL,
    Interaction: 600,
    RefreshToken: 3600,
    Session: 3600,
  },
};

const provider = new Provider(issuer, configuration);

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    ctx.body.interval = Number(args['poll-interval']);
  }
});

const server = provider.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// A real OpenID Connect provider for the tests (panva/oidc-provider, OpenID Certified), on 127.0.0.1.
//
//   PORT=9400 REDIRECT_URI=http://127.0.0.1:8501/oauth2callback node server.js
//
// One confidential client (kodomo-dash / its secret, code flow, PKCE when the client sends it) whose
// redirect URI is the app's /oauth2callback; the accounts below sign in with a password on a plain
// login form (no consent page: the client is first-party, as a city's own system is). Sign-out
// through the end_session endpoint (st.logout) ends the provider's session without asking. Prints
// "oidc-provider listening on <issuer>" once it serves. Test data only: nothing here is a secret.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 9400);
const issuer = `http://127.0.0.1:${port}`;
const redirectUris = (process.env.REDIRECT_URI || 'http://127.0.0.1:8501/oauth2callback').split(',');
const clientId = process.env.CLIENT_ID || 'kodomo-dash';
const clientSecret = process.env.CLIENT_SECRET || 'kodomo-dash-test-secret';

// login name -> account. `sub` and `email` are what the product matches to its user list.
export const ACCOUNTS = {
  hanako: { sub: 'city-idp-0001-hanako', email: 'hanako@city.example.jp', name: '福岡 花子', password: 'hanako-pass-1' },
  taro: { sub: 'city-idp-0002-taro', email: 'taro@city.example.jp', name: '福岡 太郎', password: 'taro-pass-1' },
  stranger: { sub: 'city-idp-0099-stranger', email: 'stranger@elsewhere.example.jp', name: '部外 者', password: 'stranger-pass-1' },
};
const bySub = Object.fromEntries(Object.values(ACCOUNTS).map((a) => [a.sub, a]));

const configuration = {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  async findAccount(ctx, id) {
    const account = bySub[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: account.sub, email: account.email, email_verified: true, name: account.name };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Streamlit reads the person from the identity token, so the scope's claims go into it.
  conformIdTokenClaims: false,
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        // Sign out without the confirmation page: the form is submitted with logout=yes at once.
        ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signing out</title></head><body>${form}
<script>const f = document.forms[0]; const i = document.createElement('input');
i.type = 'hidden'; i.name = 'logout'; i.value = 'yes'; f.appendChild(i); f.submit();</script></body></html>`;
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async loadExistingGrant(ctx) {
    // First-party client: the scopes it asks for are granted without a consent page.
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>oidc error</title></head><body>
<h1>oidc-provider error</h1><pre>${Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n').replace(/</g, '&lt;')}</pre></body></html>`;
  },
};

const provider = new Provider(issuer, configuration);
const oidcCallback = provider.callback();

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error = '') {
  return `<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>City identity provider (test)</title></head>
<body><h1>City identity provider (test)</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Login <input name="login" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (details.prompt.name !== 'login') {
    // Consent is granted by loadExistingGrant; any other prompt finishes with what is there.
    await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid));
    return;
  }
  if (action !== 'login') throw new Error('unknown action');
  const form = await readForm(req);
  const account = ACCOUNTS[form.get('login') || ''];
  if (!account || account.password !== form.get('password')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid, 'Invalid login or password.'));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
}

const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/(login))?(?:\?.*)?$/.exec(req.url || '');
  if (!match) {
    oidcCallback(req, res);
    return;
  }
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`interaction error: ${err.message}`);
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

import { expect } from 'chai';
import { createKey } from '../../src/access/keys.js';
import { parseToken } from '../../src/core/apiKeyToken.js';
import { apiClient, useTestServer } from '../helpers/api.js';

/** The routes of the history page, its files as the server serves them, and GET /v1/whoami. */
describe('history page: its routes and files, and whoami', () => {
  const fixture = useTestServer();

  const raw = (path: string, init: RequestInit = {}) => fetch(`${fixture.server.baseUrl}${path}`, { redirect: 'manual', ...init });

  it('serves the page at /ui/, with a Content-Security-Policy that allows no inline script, and redirects /ui there', async () => {
    const page = await fixture.server.api.request('GET', '/ui/');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(page.text).to.include('<script type="module" src="app.js"></script>');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.include("script-src 'self'");
    expect(csp).not.to.include('unsafe-inline');
    expect(csp).to.include("connect-src 'self'");
    expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
    // Nothing in the page is inline script, which the policy would refuse anyway.
    expect(page.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.to.match(/\son[a-z]+=/i);

    // fetch would follow it: look at the redirect itself.
    const redirect = await raw('/ui');
    expect(redirect.status).to.equal(301);
    expect(redirect.headers.get('location')).to.equal('/ui/');
  });

  it('serves the files the build wrote, by their names only, with their types', async () => {
    const script = await fixture.server.api.request('GET', '/ui/{file}', { params: { file: 'app.js' } });
    expect(script.status).to.equal(200);
    expect(script.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    expect(script.headers.get('content-security-policy')).to.include("script-src 'self'");
    const style = await fixture.server.api.request('GET', '/ui/{file}', { params: { file: 'style.css' } });
    expect(style.headers.get('content-type')).to.equal('text/css; charset=utf-8');
    // Where the modules are loaded from, the page needs no network: no other origin is named.
    for (const file of ['app.js', 'style.css', 'sessionView.js', 'feed.js']) {
      const text = (await raw(`/ui/${file}`).then((response) => response.text())) as string;
      expect(text, file).not.to.match(/https?:\/\//);
    }
  });

  it('has no other path under /ui: no second spelling of the page, no folder, no way out of it', async () => {
    const missing = await fixture.server.api.request('GET', '/ui/{file}', { params: { file: 'nothing.js' } });
    expect(missing.status).to.equal(404);
    expect(missing.headers.get('content-type')).to.equal('application/problem+json');
    expect((await fixture.server.api.request('GET', '/ui/{file}', { params: { file: 'index.html' } })).status).to.equal(404);
    // An encoded slash stays inside the parameter, and the parameter names no file with it.
    const escape = await fixture.server.api.request('GET', '/ui/{file}', { params: { file: '../package.json' } });
    expect(escape.status).to.equal(400);
    for (const path of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui//app.js', '/UI/', '/ui/app.js/', '/ui/dist/app.js', '/ui/.tsbuildinfo', '/ui/app.js;x']) {
      const response = await raw(path);
      expect(response.status, path).to.be.oneOf([400, 404]);
      expect(await response.text(), path).not.to.include('"name": "session-state-store"');
    }
    expect((await raw('/ui/', { method: 'POST' })).status).to.equal(405);
  });

  it('tells each key its tenant and role (whoami), and no one without a key', async () => {
    for (const role of ['read', 'write', 'admin'] as const) {
      const key = await createKey(fixture.db.pool, { tenant: 'whoami-tenant', role });
      const answer = await apiClient(fixture.server.baseUrl, key.token).request('GET', '/v1/whoami');
      expect(answer.status).to.equal(200);
      expect(answer.body).to.deep.equal({ key_id: key.key.id, tenant: 'whoami-tenant', role });
      expect(answer.text).not.to.include(parseToken(key.token)!.secret);
    }
    const anonymous = await apiClient(fixture.server.baseUrl).request('GET', '/v1/whoami');
    expect(anonymous.status).to.equal(401);
  });
});

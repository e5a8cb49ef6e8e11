import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../../src/paths.js';
import { startTestServer, type Api, type TestServer } from '../helpers/api.js';
import { launchBrowser } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ARTIFACTS, freePort, startPythonApp, type PythonApp } from '../helpers/pythonApp.js';
import { PYTHON_ENV_TIMEOUT, pythonEnv } from '../helpers/pythonEnv.js';
import { waitFor } from '../helpers/waitFor.js';

const APP = join(projectRoot, 'clients/python/examples/chainlit_app.py');
const PASSWORD = 'correct horse';

/**
 * clients/python/examples/chainlit_app.py under `chainlit run` (the pinned Chainlit of the chainlit
 * environment) with the store's data layer, in Debian's Chromium: a thread outlives the app.
 */
describe('Chainlit example app: in a real browser', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let server: TestServer;
  let api: Api;
  let browser: Browser;
  let python: string;
  let port: number;
  let appRoot: string;
  let app: PythonApp | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const authSecret = randomBytes(32).toString('hex');

  before(async function () {
    // The first run may build the Python environment and install Chromium.
    this.timeout(PYTHON_ENV_TIMEOUT);
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
    api = server.api;
    python = await pythonEnv('chainlit');
    browser = await launchBrowser();
    port = await freePort();
    // Chainlit writes its config, chainlit.md and uploaded files into the app root: not into the project.
    appRoot = mkdtempSync(join(tmpdir(), 'sst-chainlit-'));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && app) {
      process.stderr.write(`--- chainlit's output:\n${app.output()}\n`);
      for (const context of contexts) for (const page of context.pages()) await page.screenshot({ path: join(tmpdir(), `chainlit-failed-${contexts.indexOf(context)}.png`) });
    }
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await app?.stop();
    await server?.close();
    await db?.drop();
    if (appRoot) rmSync(appRoot, { recursive: true, force: true });
  });

  function startChainlit(): Promise<PythonApp> {
    return startPythonApp({
      python,
      args: ['-m', 'chainlit', 'run', APP, '--headless', '--host', '127.0.0.1', '--port', String(port)],
      cwd: appRoot,
      env: {
        CHAINLIT_APP_ROOT: appRoot,
        CHAINLIT_AUTH_SECRET: authSecret,
        APP_PASSWORD: PASSWORD,
        SESSION_STORE_URL: server.baseUrl,
        SESSION_STORE_KEY: server.token,
      },
      port,
      readyPath: '/',
    });
  }

  async function signIn(): Promise<Page> {
    // A new context: no cookie from an earlier sign-in.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(app!.url);
    await page.locator('#email').fill('ada@example.com');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: /sign in|continue|login/i }).click();
    await page.locator('#chat-input').waitFor();
    return page;
  }

  async function send(page: Page, text: string, reply: string): Promise<void> {
    const input = page.locator('#chat-input');
    await input.fill(text);
    // Enter sends once the page's socket is connected; before that it does nothing and the text stays.
    await waitFor(
      async () => {
        await input.press('Enter');
        return (await input.textContent()) === '' && (await input.inputValue().catch(() => '')) === '';
      },
      { what: `the message "${text}" to be sent`, interval: 500 },
    );
    await page.getByText(reply).waitFor();
  }

  /** The store's thread sessions and their states. */
  async function threads(): Promise<any[]> {
    const list = await api.request('GET', '/v1/sessions', { query: { prefix: 'chainlit.thread.' } });
    expect(list.status).to.equal(200);
    const states = [];
    for (const item of list.body.items) {
      const answer = await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: item.session_id } });
      states.push(answer.body);
    }
    return states;
  }

  it('keeps a thread through a restart of the app: listed in the sidebar, opened with both messages and replies', async () => {
    app = await startChainlit();
    const page = await signIn();
    await send(page, 'first question', 'Echo 1: first question');
    await send(page, 'second question', 'Echo 2: second question');
    // Chainlit writes steps in tasks of its own: wait until the store has all four messages.
    const [thread] = await waitFor(
      async () => {
        const all = await threads();
        const outputs = all.flatMap((t) => Object.values(t.steps as Record<string, any>).filter((s) => s.type.endsWith('_message')).map((s) => s.output));
        return all.length === 1 && outputs.length === 4 ? all : undefined;
      },
      { what: 'the thread and its four messages in the store' },
    );
    expect(thread).to.include({ name: 'first question', userIdentifier: 'ada@example.com' });

    // Stop and start the Chainlit server: nothing of the thread is left in its memory.
    await app.stop();
    app = await startChainlit();

    const again = await signIn();
    const listed = again.getByRole('link', { name: 'first question' });
    await listed.waitFor();
    await listed.click();
    await again.waitForURL(new RegExp(`/thread/${thread.id}$`));
    const said = (type: string) => again.locator(`[data-step-type="${type}"] [role="article"]`);
    await waitFor(async () => (await said('assistant_message').count()) === 2, { what: 'both replies on the page' });
    expect(await said('user_message').allTextContents()).to.deep.equal(['first question', 'second question']);
    expect(await said('assistant_message').allTextContents()).to.deep.equal(['Echo 1: first question', 'Echo 2: second question']);
    mkdirSync(ARTIFACTS, { recursive: true });
    await again.screenshot({ path: join(ARTIFACTS, 'chainlit-app.png'), fullPage: true });

    // The thread's history in the store: one version per change, each step a patch.
    const history = await api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: `chainlit.thread.${thread.id}` } });
    const kinds = history.body.items.map((item: any) => item.kind);
    expect(kinds.at(-1)).to.equal('save'); // the thread created
    expect(kinds.slice(0, -1).every((kind: string) => kind === 'patch')).to.equal(true);
    expect(history.body.items.map((item: any) => item.message)).to.include('created user_message ada@example.com');
    expect(pageErrors, 'errors on the page').to.deep.equal([]);
  });
});

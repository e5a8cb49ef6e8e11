import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../../src/paths.js';
import { startTestServer, type Api, type TestServer } from '../helpers/api.js';
import { launchBrowser } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { ARTIFACTS, freePort, startPythonApp, type PythonApp } from '../helpers/pythonApp.js';
import { PYTHON_ENV_TIMEOUT, pythonEnv } from '../helpers/pythonEnv.js';
import { waitFor } from '../helpers/waitFor.js';

const STATE = '/v1/sessions/{sid}/state';
const HISTORY = '/v1/sessions/{sid}/history';
const PYTHON_DIR = join(projectRoot, 'clients/python');

/**
 * clients/python/examples/app.py under `streamlit run` (the pinned Streamlit of the streamlit
 * environment), in Debian's Chromium, against the real store: what a person does with the app.
 */
describe('Streamlit example app: in a real browser', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let server: TestServer;
  let api: Api;
  let browser: Browser;
  let context: BrowserContext;
  let python: string;
  let port: number;
  let app: PythonApp | undefined;
  const pageErrors: string[] = [];

  before(async function () {
    // The first run may build the Python environment and install Chromium.
    this.timeout(PYTHON_ENV_TIMEOUT);
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
    api = server.api;
    python = await pythonEnv('streamlit');
    browser = await launchBrowser();
    port = await freePort();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await app?.stop();
    await server?.close();
    await db?.drop();
  });

  async function startStreamlit(): Promise<PythonApp> {
    return startPythonApp({
      python,
      args: [
        '-m', 'streamlit', 'run', 'examples/app.py',
        '--server.headless', 'true',
        '--server.address', '127.0.0.1',
        '--server.port', String(port),
        '--server.fileWatcherType', 'none',
        '--browser.gatherUsageStats', 'false',
      ],
      cwd: PYTHON_DIR,
      env: { SESSION_STORE_URL: server.baseUrl, SESSION_STORE_KEY: server.token },
      port,
      readyPath: '/_stcore/health',
    });
  }

  async function state(sid: string): Promise<any> {
    const answer = await api.request('GET', STATE, { params: { sid } });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return answer.body;
  }

  async function history(sid: string): Promise<any[]> {
    const answer = await api.request('GET', HISTORY, { params: { sid } });
    expect(answer.status).to.equal(200);
    return answer.body.items;
  }

  async function appShown(page: Page): Promise<void> {
    await page.getByRole('heading', { name: 'Chat with memory' }).waitFor();
    await page.locator('[data-testid="stDataFrame"] #glide-cell-1-0').waitFor({ state: 'attached' });
  }

  /** The text of a cell of the data editor (its accessible table mirrors the canvas). */
  const cell = (page: Page, column: number, row: number) => page.locator(`[data-testid="stDataFrame"] #glide-cell-${column}-${row}`);

  async function expectChatAndEdit(page: Page): Promise<void> {
    await page.locator('[data-testid="stChatMessage"]').filter({ hasText: 'hello there' }).first().waitFor();
    await page.getByText("You said 'hello there'").waitFor();
    await waitFor(async () => (await cell(page, 1, 0).textContent()) === 'kiwis', { what: 'the edited cell to show kiwis' });
  }

  it('keeps a chat message and an edited cell across a reload and a redeploy, and restores an earlier version', async () => {
    app = await startStreamlit();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(app.url);
    await appShown(page);
    await page.waitForURL(/[?&]sid=st-/);
    const sid = new URL(page.url()).searchParams.get('sid')!;

    // A chat turn.
    const input = page.getByPlaceholder('Say something');
    await input.fill('hello there');
    await input.press('Enter');
    await page.getByText("You said 'hello there'").waitFor();
    await waitFor(async () => (await state(sid)).messages?.length === 2, { what: 'the chat turn to be saved' });

    // A cell of the table: double-click opens the cell's editor (a textarea over the canvas).
    const grid = (await page.locator('[data-testid="stDataFrame"]').boundingBox())!;
    const header = 35; // Streamlit's header and row height, in CSS pixels
    await page.mouse.dblclick(grid.x + 80, grid.y + header + header / 2); // "item" of the first row
    const editor = page.locator('textarea.gdg-input');
    await editor.waitFor();
    await editor.fill('kiwis');
    await editor.press('Enter');
    await waitFor(async () => (await state(sid)).table?.$value?.[0]?.[0] === 'kiwis', { what: 'the edited cell to be saved' });
    await expectChatAndEdit(page);

    // A reload: same URL, a new Streamlit session.
    await page.reload();
    await appShown(page);
    expect(new URL(page.url()).searchParams.get('sid')).to.equal(sid);
    await expectChatAndEdit(page);

    // A redeploy: the Streamlit server stops and starts again; the tab is reloaded.
    await app.stop();
    app = await startStreamlit();
    await page.reload();
    await appShown(page);
    await expectChatAndEdit(page);
    const versions = await history(sid);
    expect(versions.map((v) => v.version)).to.deep.equal([3, 2, 1]); // first run, chat turn, cell edit: nothing saved by reloads
    if (process.env.UPDATE_SCREENSHOT) {
      mkdirSync(join(projectRoot, 'docs'), { recursive: true });
      await page.screenshot({ path: join(projectRoot, 'docs', 'streamlit-app.png') });
    }

    // The restore widget in the sidebar: pick v1 (the first run: no messages, the table as it was).
    await page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click();
    await page.getByRole('option', { name: /^v1 · / }).click();
    await page.getByRole('button', { name: 'Restore' }).click();
    await waitFor(async () => (await cell(page, 1, 0).textContent()) === 'apples', { what: 'the page to show the restored table' });
    await waitFor(async () => (await page.getByText("You said 'hello there'").count()) === 0, { what: 'the chat to be gone from the page' });
    const [newest] = await history(sid);
    expect(newest).to.include({ version: 4, kind: 'restore', restored_from: 1 });
    expect((await state(sid)).messages).to.deep.equal([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'streamlit-app.png'), fullPage: true });
    expect(pageErrors, 'errors on the page').to.deep.equal([]);
  });
});

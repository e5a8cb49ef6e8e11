import { expect } from 'chai';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createKey } from '../../src/access/keys.js';
import { projectRoot } from '../../src/paths.js';
import { startTestServer, type Api, type TestServer } from '../helpers/api.js';
import { launchBrowser } from '../helpers/browser.js';
import { spec } from '../helpers/openapi.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { waitFor } from '../helpers/waitFor.js';

const STATE = '/v1/sessions/{sid}/state';
const HISTORY = '/v1/sessions/{sid}/history';

/**
 * The history page in Debian's Chromium, against the real server and database: what a person
 * does with it, checked both on the page and through the API. One browser for the file; each test
 * has its own browser context (its own sessionStorage), as a new tab would.
 */
describe('history page: in a real browser', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let server: TestServer;
  let api: Api;
  let browser: Browser;
  let readToken: string;
  const contexts: BrowserContext[] = [];
  /** Errors the page raised or the browser reported (a CSP refusal among them), per page. */
  const problems = new Map<Page, string[]>();

  before(async function () {
    // The first run may install Chromium.
    this.timeout(600_000);
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
    api = server.api;
    readToken = (await createKey(db.pool, { tenant: 'default', role: 'read' })).token;
    browser = await launchBrowser();

    await save('chat-1', { title: 'first', messages: [{ role: 'user', text: 'hello' }] }, { message: 'started', author: 'ada' });
    await save('chat-1', { title: 'first', messages: [{ role: 'user', text: 'hello' }, { role: 'bot', text: 'hi there' }] }, { message: 'bot answered', author: 'bot' });
    await save('chat-1', { title: 'renamed', messages: [{ role: 'user', text: 'hello' }, { role: 'bot', text: 'hi there' }, { role: 'user', text: 'thanks' }] }, { author: 'ada' });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await db?.drop();
  });
  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    for (const context of contexts.splice(0)) {
      for (const page of context.pages()) {
        const seen = problems.get(page) ?? [];
        problems.delete(page);
        if (!failed) expect(seen, 'errors on the page').to.deep.equal([]);
      }
      await context.close();
    }
  });

  async function save(sid: string, state: unknown, query: Record<string, string> = {}): Promise<number> {
    const answer = await api.request('PUT', STATE, { params: { sid }, json: state, query });
    expect(answer.status, JSON.stringify(answer.body)).to.be.oneOf([200, 201]);
    return answer.body.version;
  }

  async function newPage(viewport = { width: 1280, height: 860 }): Promise<Page> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    const seen: string[] = [];
    problems.set(page, seen);
    page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // Answers the tests ask for (a refused key; a 404 of /watch, where the page finds this server
      // has no change feed and polls instead; a 410 once deleted) are logged by Chromium: not errors.
      if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of (401|404|410)\b/.test(message.text())) {
        seen.push(`console: ${message.text()}`);
      }
    });
    return page;
  }

  async function signIn(page: Page, token = server.token): Promise<void> {
    await page.goto(`${server.baseUrl}/ui/`);
    await page.getByLabel('API key').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
  }

  async function openSession(page: Page, sid: string, token = server.token): Promise<void> {
    await signIn(page, token);
    await page.getByLabel('Session id starts with').fill(sid);
    await page.getByRole('link', { name: sid, exact: true }).click();
    await page.getByRole('heading', { name: `Session ${sid}` }).waitFor();
    await page.locator('#state-tree .json-tree').waitFor();
  }

  const timelineRow = (page: Page, version: number) => page.locator(`.timeline tr[data-version="${version}"]`);

  it('signs in with an API key kept in the tab only, refuses a wrong key, and signs out', async () => {
    const page = await newPage();
    await page.goto(`${server.baseUrl}/ui`);
    expect(new URL(page.url()).pathname).to.equal('/ui/');
    await page.getByLabel('API key').fill('sst_000000000000_notakey');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();

    // By keyboard: the key field has focus, Enter signs in.
    await page.getByLabel('API key').fill(server.token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    expect(await page.locator('#who').textContent()).to.include('write key');
    expect(page.url()).not.to.include(server.token);
    expect(await page.context().cookies()).to.deep.equal([]);
    expect(await page.evaluate('sessionStorage.length')).to.equal(1);
    expect(await page.evaluate('Object.values(sessionStorage)')).to.deep.equal([server.token]);
    expect(await page.evaluate('localStorage.length')).to.equal(0);

    // A reload keeps the tab signed in; signing out forgets the key.
    await page.reload();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).to.equal(0);
  });

  it('lists sessions most recently changed first, with versions, last change and size; searches by prefix and pages', async () => {
    await save('list-a', { n: 1 });
    await save('list-b', { n: 1 });
    await save('list-a', { n: 2 });
    for (let i = 0; i < 27; i++) await save(`page-${String(i).padStart(2, '0')}`, { i });

    const page = await newPage();
    await signIn(page);
    await page.getByLabel('Session id starts with').fill('list-');
    await page.locator('.sessions tbody tr').nth(1).waitFor();
    await waitFor(async () => (await page.locator('.sessions tbody tr').count()) === 2, { what: 'the two list- sessions' });
    const rows = await page.locator('.sessions tbody tr').allInnerTexts();
    expect(rows[0]).to.match(/^list-a\s+2\s+.+\s+7 B$/);
    expect(rows[1]).to.match(/^list-b\s+1\s+.+\s+7 B$/);

    await page.getByLabel('Session id starts with').fill('page-');
    await waitFor(async () => (await page.locator('.sessions tbody th').first().textContent()) === 'page-26', { what: 'the newest page- session first' });
    expect(await page.locator('.sessions tbody tr').count()).to.equal(25);
    await page.getByRole('button', { name: 'Older →' }).click();
    await waitFor(async () => (await page.locator('.sessions tbody tr').count()) === 2, { what: 'the second page' });
    expect(await page.locator('.sessions tbody th').allTextContents()).to.deep.equal(['page-01', 'page-00']);
    expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).to.equal(true);
    await page.getByRole('button', { name: '← Newer' }).click();
    await waitFor(async () => (await page.locator('.sessions tbody tr').count()) === 25, { what: 'the first page again' });
  });

  it('opens a session: its timeline with messages and authors, the latest state, and an old version', async () => {
    const page = await newPage();
    await openSession(page, 'chat-1');
    expect(await page.locator('.timeline tbody tr').count()).to.equal(3);
    const newest = await timelineRow(page, 3).innerText();
    expect(newest).to.include('v3').and.to.include('by ada').and.to.include('save');
    expect(await timelineRow(page, 2).innerText()).to.include('bot answered').and.to.include('by bot');
    expect(await page.locator('#version-title').innerText()).to.match(/^Version 3\s*latest$/);
    expect(await page.locator('#state-tree').innerText()).to.include('"renamed"').and.to.include('"thanks"');

    await page.getByRole('link', { name: 'Version 1', exact: true }).click();
    await waitFor(async () => (await page.locator('#version-title').innerText()) === 'Version 1', { what: 'version 1 shown' });
    await waitFor(async () => (await page.locator('#state-tree').innerText()).includes('"first"'), { what: 'the state of version 1' });
    expect(await page.locator('#state-tree').innerText()).not.to.include('thanks');
    expect(await page.locator('.version-panel .meta').innerText()).to.include('started').and.to.include('ada');
    expect(new URL(page.url()).hash).to.equal('#/s/chat-1/v/1');
    expect(await timelineRow(page, 1).getAttribute('aria-current')).to.equal('true');

    // The tree opens and closes by keyboard.
    const messages = page.locator('#state-tree summary').filter({ hasText: 'messages' });
    await messages.focus();
    await page.keyboard.press('Enter');
    expect(await messages.locator('xpath=..').getAttribute('open')).to.equal(null);
    await page.keyboard.press('Enter');
    expect(await messages.locator('xpath=..').getAttribute('open')).to.equal('');
  });

  it('shows the diff between two versions with the old and the new values', async () => {
    const page = await newPage();
    await openSession(page, 'chat-1');
    await page.getByLabel('From version').fill('1');
    await page.getByLabel('To version').fill('3');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const diff = page.locator('#diff-result');
    await diff.locator('.diff-summary').waitFor();
    const text = await diff.innerText();
    expect(text).to.include('From version 1 to 3');
    expect(await diff.locator('.diff-replace .diff-old').first().innerText()).to.include('"first"');
    expect(await diff.locator('.diff-replace .diff-new').first().innerText()).to.include('"renamed"');
    expect(await diff.locator('.diff-add').count()).to.equal(2);
    expect(text).to.include('In the array /messages of 1 item');
    expect(new URL(page.url()).hash).to.equal('#/s/chat-1/diff/1/3');

    // A long array: only the items that changed, each numbered where a reader looks for it.
    const rows = Array.from({ length: 500 }, (_, id) => ({ id, name: `row ${id}` }));
    await save('table-1', { rows });
    await save('table-1', { rows: [{ id: -1, name: 'new first row' }, ...rows.filter((row) => row.id !== 2 && row.id !== 300)] });
    await page.goto(`${server.baseUrl}/ui/#/s/table-1/diff/1/2`);
    await diff.locator('.diff-summary').filter({ hasText: 'From version 1 to 2' }).waitFor();
    expect(await diff.locator('.diff-group').count()).to.equal(1);
    expect(await diff.locator('.diff-group h4').innerText()).to.match(/^In the array \/rows of 500 items\s+(1 added, 2 removed|2 removed, 1 added)$/);
    const changes = (await diff.locator('.diff-op').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
    expect(changes).to.have.length(3);
    expect(changes.filter((text) => text.includes('removed')).sort()).to.deep.equal([
      '− [2] removed {"id":2,"name":"row 2"}',
      '− [300] removed {"id":300,"name":"row 300"}',
    ]);
    expect(changes.filter((text) => text.includes('added'))).to.deep.equal(['+ [0] added {"id":-1,"name":"new first row"}']);

    // A row's own diff link: the changes of that version.
    await page.goto(`${server.baseUrl}/ui/#/s/chat-1`);
    await timelineRow(page, 2).getByRole('link', { name: 'Changes in version 2' }).click();
    await waitFor(async () => (await diff.innerText()).includes('From version 1 to 2'), { what: 'the diff of version 2' });
    expect(await diff.innerText()).to.include('"hi there"');
  });

  it('restores an old version after confirmation, with a message, and the API shows a restore version', async () => {
    await save('restore-me', { step: 'good' });
    await save('restore-me', { step: 'broken' });
    const page = await newPage();
    await openSession(page, 'restore-me');
    await page.getByRole('link', { name: 'Version 1', exact: true }).click();
    await page.getByRole('button', { name: 'Restore this version…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore version 1?' });
    await dialog.waitFor();
    // Cancel writes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await api.request('GET', HISTORY, { params: { sid: 'restore-me' } })).body.items).to.have.length(2);

    await page.getByRole('button', { name: 'Restore this version…' }).click();
    await dialog.getByLabel('Message (optional)').fill('back to the good one');
    await dialog.getByRole('button', { name: 'Restore version 1' }).click();
    await timelineRow(page, 3).waitFor();
    expect(await timelineRow(page, 3).innerText()).to.include('restore').and.to.include('restored from v1').and.to.include('back to the good one');
    await waitFor(async () => (await page.locator('#state-tree').innerText()).includes('"good"'), { what: 'the restored state shown' });

    const history = await api.request('GET', HISTORY, { params: { sid: 'restore-me' } });
    expect(history.body.items[0]).to.include({ version: 3, kind: 'restore', restored_from: 1, message: 'back to the good one' });
    expect((await api.request('GET', STATE, { params: { sid: 'restore-me' } })).body).to.deep.equal({ step: 'good' });
  });

  it('shows a version saved through the API while the page is open, without a reload', async () => {
    await save('live-1', { count: 1 });
    const page = await newPage();
    await openSession(page, 'live-1');
    await save('live-1', { count: 2 }, { message: 'from elsewhere' });
    await timelineRow(page, 2).waitFor({ timeout: 15_000 });
    expect(await timelineRow(page, 2).innerText()).to.include('from elsewhere');
    // The page follows the latest version: its state is shown.
    await waitFor(async () => (await page.locator('#state-tree').innerText()).includes('2'), { what: 'the new state' });
    expect(await page.locator('.facts').innerText()).to.include('2 versions');
    // Through the change feed where the server has one, else by polling /history.
    expect(await page.locator('#feed-status').innerText()).to.match(spec.paths['/v1/sessions/{sid}/watch'] ? /^Live/ : /^Checking for new versions every 3 s$/);

    // Deleted elsewhere: the page says so, and offers no action on it any more.
    expect((await api.request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'live-1' } })).status).to.equal(204);
    await page.getByText('This session is gone').waitFor({ timeout: 15_000 });
    expect(await page.locator('#feed-status').innerText()).to.include('Not following');
    expect(await page.getByRole('button', { name: 'Delete session…' }).isDisabled()).to.equal(true);
  });

  it('reads the change feed when the server has one: resumes with Last-Event-ID, and stops at the tombstone', async () => {
    await save('feed-1', { a: 1 });
    await save('feed-1', { a: 2 });
    const page = await newPage();
    const resumedFrom: string[] = [];
    await page.route('**/v1/sessions/feed-1/watch', async (route) => {
      const headers = route.request().headers();
      resumedFrom.push(headers['last-event-id'] ?? '(none)');
      expect(headers.authorization).to.equal(`Bearer ${server.token}`);
      if (resumedFrom.length === 1) {
        // One new version, announced as the feed does; then the stream ends (a proxy cut it).
        await save('feed-1', { a: 3 }, { message: 'via the feed' });
        const item = (await api.request('GET', HISTORY, { params: { sid: 'feed-1' }, query: { limit: 1 } })).body.items[0];
        await route.fulfill({
          status: 200,
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
          body: `: heartbeat\r\n\r\nid: 3\r\nevent: version\r\ndata: ${JSON.stringify(item)}\r\n\r\n`,
        });
      } else {
        await route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: 'event: deleted\ndata: {"session_id":"feed-1"}\n\n' });
      }
    });
    await openSession(page, 'feed-1');
    await timelineRow(page, 3).waitFor();
    expect(await timelineRow(page, 3).innerText()).to.include('via the feed');
    await page.getByText('This session is gone').waitFor();
    expect(resumedFrom).to.deep.equal(['2', '3']);
    expect(await page.locator('#feed-status').innerText()).to.include('Not following');
  });

  it('offers a read key everything but the write actions', async () => {
    const page = await newPage();
    await openSession(page, 'chat-1', readToken);
    expect(await page.locator('#who').textContent()).to.include('read key');
    await page.getByText('This key may read only').waitFor();
    await page.getByRole('link', { name: 'Version 2', exact: true }).click();
    await waitFor(async () => (await page.locator('#version-title').innerText()) === 'Version 2', { what: 'version 2 shown' });
    await page.getByRole('button', { name: 'Download .json' }).waitFor();
    for (const name of [/restore/i, /fork/i, /delete/i]) expect(await page.getByRole('button', { name }).count(), String(name)).to.equal(0);
    await timelineRow(page, 3).getByRole('link', { name: 'Changes in version 3' }).click();
    await page.locator('#diff-result .diff-summary').waitFor();
  });

  it('downloads a version as a .json file holding its state as stored', async () => {
    const page = await newPage();
    await openSession(page, 'chat-1');
    await page.getByRole('link', { name: 'Version 2', exact: true }).click();
    await waitFor(async () => (await page.locator('#version-title').innerText()) === 'Version 2', { what: 'version 2 shown' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .json' }).click()]);
    expect(download.suggestedFilename()).to.equal('chat-1-v2.json');
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).to.equal((await api.request('GET', STATE, { params: { sid: 'chat-1' }, query: { version: 2 } })).text);
  });

  it('forks a version to a new id, and deletes a session only once its id is typed', async () => {
    const page = await newPage();
    await openSession(page, 'chat-1');
    await page.getByRole('link', { name: 'Version 2', exact: true }).click();
    await page.getByRole('button', { name: 'Fork from this version…' }).click();
    const fork = page.getByRole('dialog', { name: 'Fork version 2' });
    await fork.getByLabel('New session id').fill('chat-1-copy');
    await fork.getByRole('button', { name: 'Fork' }).click();
    await page.getByRole('heading', { name: 'Session chat-1-copy' }).waitFor();
    expect(await timelineRow(page, 1).innerText()).to.include('forked from chat-1 v2');
    expect((await api.request('GET', STATE, { params: { sid: 'chat-1-copy' } })).body).to.deep.equal(
      (await api.request('GET', STATE, { params: { sid: 'chat-1' }, query: { version: 2 } })).body,
    );

    await page.getByRole('button', { name: 'Delete session…' }).click();
    const remove = page.getByRole('dialog', { name: 'Delete chat-1-copy?' });
    const confirm = remove.getByRole('button', { name: 'Delete session' });
    expect(await confirm.isDisabled()).to.equal(true);
    await remove.getByLabel(/Type the session id/).fill('chat-1');
    expect(await confirm.isDisabled()).to.equal(true);
    await remove.getByLabel(/Type the session id/).fill('chat-1-copy');
    await confirm.click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.getByText('Session chat-1-copy was deleted.').waitFor();
    expect((await api.request('GET', STATE, { params: { sid: 'chat-1-copy' } })).status).to.equal(410);
    expect((await api.request('GET', STATE, { params: { sid: 'chat-1' } })).status).to.equal(200);
  });

  it('shows stored markup as text, never as HTML', async () => {
    await save('markup', { html: '<img src=x id=injected><b>bold</b>', '<i>key</i>': ['<script>window.hit=1</script>'] }, { message: '<u>note</u>' });
    const page = await newPage();
    await openSession(page, 'markup');
    const tree = await page.locator('#state-tree').innerText();
    expect(tree).to.include('<img src=x id=injected><b>bold</b>').and.to.include('<script>window.hit=1</script>');
    expect(await page.locator('#injected, #state-tree b, #state-tree i, .timeline u').count()).to.equal(0);
    expect(await timelineRow(page, 1).innerText()).to.include('<u>note</u>');
    expect(await page.evaluate('window.hit')).to.equal(undefined);
  });

  it('operates its dialogs by keyboard and reads on a phone-width screen', async () => {
    const page = await newPage({ width: 375, height: 740 });
    await openSession(page, 'chat-1');
    const overflow = async (): Promise<number> => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;
    expect(await overflow(), 'horizontal overflow of the session').to.be.at.most(0);
    // Rows read as cards: the table's header row is out of sight, each cell says what it is.
    expect((await page.locator('.timeline thead').boundingBox())?.height ?? 0).to.be.at.most(1);
    expect(await timelineRow(page, 2).locator('td[data-label="Message"]').innerText()).to.include('bot answered');

    if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: '/tmp/phone.png', fullPage: true });
    await page.getByRole('link', { name: 'Version 1', exact: true }).click();
    const restore = page.getByRole('button', { name: 'Restore this version…' });
    await restore.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Restore version 1?' });
    await dialog.waitFor();
    expect(await page.evaluate('document.activeElement.id')).to.match(/-message$/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate('document.activeElement.textContent')).to.equal('Restore this version…');

    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    expect(await overflow(), 'horizontal overflow of the list').to.be.at.most(0);
  });

  it('keeps a screenshot for the README (UPDATE_SCREENSHOT=1 rewrites docs/history-page.png)', async function () {
    if (!process.env.UPDATE_SCREENSHOT) this.skip();
    const sid = 'support-chat-42';
    const opened = { customer: 'Ada', status: 'open', messages: [{ from: 'customer', text: 'My order has not arrived.' }] };
    await save(sid, opened, { message: 'ticket opened', author: 'web' });
    const answered = { ...opened, messages: [...opened.messages, { from: 'bot', text: 'Sorry! Let me look into it.' }] };
    await save(sid, answered, { message: 'bot reply', author: 'bot' });
    const taken = { ...answered, status: 'pending', agent: 'sam', messages: [...answered.messages, { from: 'sam', text: 'It ships today, tracking to follow.' }] };
    await save(sid, taken, { message: 'agent took over', author: 'sam' });
    await save(sid, { ...taken, status: 'closed', messages: [] }, { message: 'nightly cleanup', author: 'cron' });
    await api.request('POST', '/v1/sessions/{sid}/restore', { params: { sid }, json: { version: 3, message: 'undo the cleanup', author: 'sam' } });

    const page = await newPage({ width: 1280, height: 1040 });
    await openSession(page, sid);
    await page.goto(`${server.baseUrl}/ui/#/s/${sid}/diff/3/4`);
    await page.locator('#diff-result .diff-summary').waitFor();
    await page.locator('#feed-status').filter({ hasText: /Live|Checking/ }).waitFor();
    mkdirSync(join(projectRoot, 'docs'), { recursive: true });
    await page.screenshot({ path: join(projectRoot, 'docs', 'history-page.png') });
  });
});

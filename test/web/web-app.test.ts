// The web app in a real browser: Debian's Chromium driven by playwright-core (no browser download)
// against the embedded default. Two users in two browser contexts become buddies, see each
// other's status and note, chat with receipts, get a message stored while signed out, follow a
// dropped connection, and talk with a JSON client (test/support/sip-client). Screenshots of the
// main screens go to $HERALD_WEB_SCREENSHOTS (default: <tmp>/herald-web-screenshots).
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page, type WebSocketRoute } from 'playwright-core';
import { commandResult, pushOf, uniqueUser } from '../e2e/e2e-support';
import { HeraldEmbedded } from '../support/herald-embedded';
import { SipClient } from '../support/sip-client';

const PASSWORD = 'web-secret';
const START_TIMEOUT_MS = 300_000;
/** A step seen in the page: a push through Herald and a re-render, on a loaded 2-core machine. */
const STEP_MS = 20_000;
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env['HERALD_WEB_SCREENSHOTS'] ?? join(tmpdir(), 'herald-web-screenshots');

describe('the web app in Chromium against the embedded default', () => {
  jest.setTimeout(240_000);
  let embedded: HeraldEmbedded | undefined;
  let browser: Browser | undefined;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM} (scripts/test.sh installs Debian's; or set CHROMIUM_PATH)`);
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    embedded = await HeraldEmbedded.start();
    // --no-sandbox: CI runs the suite as root, where Chromium's sandbox refuses to start.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, START_TIMEOUT_MS);
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await browser?.close();
    await embedded?.stop();
  });

  function target(): { embedded: HeraldEmbedded; browser: Browser } {
    if (embedded === undefined || browser === undefined)
      throw new Error('the embedded default or Chromium did not start');
    return { embedded, browser };
  }

  async function newUser(label: string): Promise<string> {
    const user = uniqueUser(label);
    await target().embedded.createAccount(user, PASSWORD);
    return user;
  }

  /** A fresh browser context (its own storage: another device) with the app open. */
  async function openApp(): Promise<Page> {
    const context = await target().browser.newContext({ viewport: { width: 1100, height: 700 } });
    closers.push(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    closers.push(async () => expect(problems).toEqual([]));
    await page.goto(target().embedded.webUrl);
    return page;
  }

  async function signIn(page: Page, user: string, password = PASSWORD): Promise<void> {
    await page.getByLabel('SIP user').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signedIn(page: Page, user: string): Promise<void> {
    await signIn(page, user);
    await page.locator('#me', { hasText: `sip:${user}@` }).waitFor({ timeout: STEP_MS });
  }

  /** The roster entry of a buddy: its accessible name says name, status, note, pending, unread. */
  function buddy(page: Page, name: RegExp): ReturnType<Page['getByRole']> {
    return page.getByRole('button', { name });
  }

  function message(page: Page, text: string, state?: string): ReturnType<Page['locator']> {
    return page.locator(`#messages li${state === undefined ? '' : `[data-state="${state}"]`}`, {
      hasText: text,
    });
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  }

  async function addBuddy(page: Page, user: string, name: string, group: string): Promise<void> {
    await page.getByText('Add a buddy', { exact: true }).click();
    await page.getByLabel('User', { exact: true }).fill(user);
    await page.getByLabel('Name', { exact: true }).first().fill(name);
    await page.getByLabel('Group', { exact: true }).first().fill(group);
    await page.getByRole('button', { name: 'Add buddy' }).click();
  }

  async function setStatus(page: Page, status: string, note: string): Promise<void> {
    await page.getByLabel('Status').selectOption(status);
    await page.getByLabel('Note').fill(note);
    await page.getByRole('button', { name: 'Set status' }).click();
  }

  async function send(page: Page, text: string): Promise<void> {
    const compose = page.getByRole('textbox', { name: 'Message', exact: true });
    await compose.fill(text);
    await compose.press('Enter');
  }

  it('two users become buddies, see status and notes, chat with receipts, and get messages stored while away', async () => {
    const [annUser, benUser] = [await newUser('ann'), await newUser('ben')];
    const ann = await openApp();
    await shot(ann, '01-sign-in');
    await signIn(ann, annUser, 'not-the-password');
    await ann.getByRole('alert').filter({ hasText: 'Wrong user or password.' }).waitFor({ timeout: STEP_MS });
    await signedIn(ann, annUser);
    await ann.getByText('Profile', { exact: true }).click();
    await ann.getByLabel('Display name').fill('Ann Example');
    await ann.getByRole('button', { name: 'Save profile' }).click();
    await ann.locator('#me', { hasText: `Ann Example (sip:${annUser}@` }).waitFor({ timeout: STEP_MS });
    const ben = await openApp();
    await signedIn(ben, benUser);

    // 1. Buddies: Ann asks, Ben accepts; each sees the other, grouped as they chose.
    await addBuddy(ann, benUser, 'Ben', 'Work');
    await buddy(ann, /^Ben, offline, waiting for an answer/).waitFor({ timeout: STEP_MS });
    await ben
      .getByRole('button', { name: new RegExp(`^Accept .*sip:${annUser}@${target().embedded.domain}`) })
      .waitFor({ timeout: STEP_MS });
    await shot(ben, '02-buddy-request');
    await ben.getByRole('button', { name: /^Accept / }).click();
    await buddy(ann, /^Ben, online$/).waitFor({ timeout: STEP_MS });
    await buddy(ben, new RegExp(`^${annUser}, online$`)).waitFor({ timeout: STEP_MS });
    await ann
      .getByRole('region', { name: 'Work' })
      .getByRole('button', { name: /^Ben/ })
      .waitFor({ timeout: STEP_MS });

    // 2. Status and note, both ways.
    await setStatus(ben, 'busy', 'in a meeting');
    await buddy(ann, /^Ben, busy, in a meeting$/).waitFor({ timeout: STEP_MS });
    await setStatus(ann, 'away', 'lunch');
    await buddy(ben, new RegExp(`^${annUser}, away, lunch$`)).waitFor({ timeout: STEP_MS });
    await shot(ann, '03-roster-presence');

    // Rename and regroup: the roster shows the new name in the new group.
    await buddy(ann, /^Ben/).click();
    await ann.getByLabel('Name', { exact: true }).last().fill('Benjamin');
    await ann.getByLabel('Group', { exact: true }).last().fill('Friends');
    await ann.getByRole('button', { name: 'Save buddy' }).click();
    await ann
      .getByRole('region', { name: 'Friends' })
      .getByRole('button', { name: /^Benjamin, busy/ })
      .waitFor({ timeout: STEP_MS });
    expect(await ann.getByRole('region', { name: 'Work' }).count()).toBe(0);

    // 3. Messages with receipts; a second tab of Ben receives the conversation too.
    const benTab2 = await ben.context().newPage();
    await benTab2.goto(target().embedded.webUrl);
    await signedIn(benTab2, benUser);
    await send(ann, 'Hello Ben');
    await message(ann, 'Hello Ben', 'delivered').waitFor({ timeout: STEP_MS });
    for (const tab of [ben, benTab2]) {
      await buddy(tab, new RegExp(`^${annUser}, away, lunch, 1 unread$`)).click();
      await message(tab, 'Hello Ben', 'received').waitFor({ timeout: STEP_MS });
    }
    await send(ben, 'Hi Ann');
    await message(ben, 'Hi Ann', 'delivered').waitFor({ timeout: STEP_MS });
    await message(ann, 'Hi Ann', 'received').waitFor({ timeout: STEP_MS });
    await shot(ann, '04-chat');
    await benTab2.getByRole('button', { name: 'Sign out' }).click();
    await benTab2.getByLabel('SIP user').waitFor({ timeout: STEP_MS });
    await benTab2.close();

    // 4. Ben signs out; Ann's message is stored and reaches Ben at his next sign-in, marked.
    await ben.getByRole('button', { name: 'Sign out' }).click();
    await ben.getByLabel('SIP user').waitFor({ timeout: STEP_MS });
    await buddy(ann, /^Benjamin, offline/).waitFor({ timeout: STEP_MS });
    await send(ann, 'While you were away');
    await message(ann, 'While you were away', 'stored').waitFor({ timeout: STEP_MS });
    await signedIn(ben, benUser);
    await buddy(ben, /1 unread$/).click();
    const stored = ben.locator('#messages li[data-offline="true"]', { hasText: 'While you were away' });
    await stored.waitFor({ timeout: STEP_MS });
    expect(await stored.textContent()).toContain('received while you were offline');
    await shot(ben, '05-offline-message');
  });

  it('says when Herald is unreachable and reconnects afterwards', async () => {
    const user = await newUser('dora');
    const page = await openApp();
    const routes: WebSocketRoute[] = [];
    let refusing = false;
    // Every WebSocket of the page goes through this route: closing it is a dropped connection.
    await page.routeWebSocket(/.*/, (route) => {
      if (refusing) {
        void route.close({ code: 1011, reason: 'down' });
        return;
      }
      route.connectToServer();
      routes.push(route);
    });
    await signedIn(page, user);
    refusing = true;
    for (const route of routes.splice(0)) await route.close({ code: 1011, reason: 'down' });
    await page
      .getByRole('status')
      .filter({ hasText: /Herald is unreachable .*Reconnecting/ })
      .waitFor({ timeout: STEP_MS });
    await shot(page, '06-unreachable');
    refusing = false;
    await page
      .getByRole('status')
      .filter({ hasText: 'Reconnected to Herald.' })
      .waitFor({ timeout: STEP_MS });
    await setStatus(page, 'online', 'back');
    await page.getByRole('status').filter({ hasText: 'Status set: online' }).waitFor({ timeout: STEP_MS });
  });

  it('a JSON client and the browser user exchange messages', async () => {
    const { embedded: herald } = target();
    const [annUser, carolUser] = [await newUser('ann'), await newUser('carol')];
    const carol = await SipClient.open({
      protocol: 'tcp',
      server: herald.address('tcp'),
      domain: herald.domain,
      user: carolUser,
      password: PASSWORD,
    });
    closers.push(() => carol.close());
    await carol.register();
    await commandResult(carol, { type: 'login', status: 'online' }, 'INFO');
    const ann = await openApp();
    await signedIn(ann, annUser);

    const annAor = `sip:${annUser}@${herald.domain}`;
    await commandResult(carol, { type: 'roster.add', uri: annAor, name: 'Ann' }, 'INFO');
    await ann.getByRole('button', { name: /^Accept / }).click();
    await buddy(ann, new RegExp(`^${carolUser}, online$`)).click();

    await commandResult(carol, { type: 'im.send', to: annAor, text: 'hello from a JSON client' }, 'INFO');
    await message(ann, 'hello from a JSON client', 'received').waitFor({ timeout: STEP_MS });
    await send(ann, 'hello back from the browser');
    await message(ann, 'hello back from the browser', 'delivered').waitFor({ timeout: STEP_MS });
    await pushOf(carol, 'im', { from: annAor, text: 'hello back from the browser', offline: false });
    await shot(ann, '07-json-client');

    // Removing the buddy removes it both ways.
    const before = carol.pushes.length;
    ann.once('dialog', (dialog) => void dialog.accept());
    await ann.getByRole('button', { name: 'Remove buddy' }).click();
    // The conversation stays, listed apart from the roster.
    await ann
      .getByRole('region', { name: 'Not in your roster' })
      .getByRole('button', { name: new RegExp(`^${carolUser}, offline`) })
      .waitFor({ timeout: STEP_MS });
    await carol.waitForPush(
      (push) =>
        push.envelope?.type === 'roster' &&
        Array.isArray(push.envelope['buddies']) &&
        push.envelope['buddies'].length === 0,
      undefined,
      before,
    );
  });
});

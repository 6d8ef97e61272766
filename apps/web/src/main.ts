// Herald's web app: signs in over SIP on WebSocket with libs/client and shows roster, presence,
// buddy requests, chat with receipts and the profile. Plain DOM, text only (never innerHTML).
import {
  type DeviceStatus,
  HeraldClient,
  HeraldClientError,
  HeraldCommandError,
  type RosterBuddy,
  sipJsCarrier,
} from '#herald/client';
import { byId, h } from './dom';
import { type ChatMessage, Conversations, displayName, groupRoster, toAor, userOf } from './model';

/** apps/herald/src/web-app-server.ts WebAppSettings, as /config.json. */
interface WebConfig {
  domain: string;
  wsPort: number | undefined;
  wssPort: number | undefined;
  sipUrl?: string;
}

const view = {
  banner: byId('banner', HTMLDivElement),
  signIn: byId('sign-in-view', HTMLElement),
  signInForm: byId('sign-in-form', HTMLFormElement),
  signInUser: byId('sign-in-user', HTMLInputElement),
  signInPassword: byId('sign-in-password', HTMLInputElement),
  signInError: byId('sign-in-error', HTMLParagraphElement),
  app: byId('app-view', HTMLDivElement),
  me: byId('me', HTMLSpanElement),
  presenceForm: byId('presence-form', HTMLFormElement),
  status: byId('status-select', HTMLSelectElement),
  note: byId('note-input', HTMLInputElement),
  signOut: byId('sign-out', HTMLButtonElement),
  requests: byId('requests', HTMLElement),
  requestList: byId('request-list', HTMLUListElement),
  roster: byId('roster', HTMLDivElement),
  addForm: byId('add-buddy-form', HTMLFormElement),
  addUser: byId('add-user', HTMLInputElement),
  addName: byId('add-name', HTMLInputElement),
  addGroup: byId('add-group', HTMLInputElement),
  profileForm: byId('profile-form', HTMLFormElement),
  displayName: byId('display-name', HTMLInputElement),
  chatTitle: byId('chat-title', HTMLHeadingElement),
  buddyForm: byId('buddy-form', HTMLFormElement),
  buddyName: byId('buddy-name', HTMLInputElement),
  buddyGroup: byId('buddy-group', HTMLInputElement),
  removeBuddy: byId('remove-buddy', HTMLButtonElement),
  messages: byId('messages', HTMLOListElement),
  composeForm: byId('compose-form', HTMLFormElement),
  composeText: byId('compose-text', HTMLTextAreaElement),
};

/** Everything of one signed-in session; replaced at each sign-in. */
interface Session {
  client: HeraldClient;
  domain: string;
  user: string;
  buddies: RosterBuddy[];
  /** Pending requests from others (buddy.request pushes and pending-in roster entries). */
  requests: Map<string, string | undefined>;
  conversations: Conversations;
  unread: Map<string, number>;
  selected: string | undefined;
}

let session: Session | undefined;
let config: WebConfig | undefined;

function showBanner(text: string, kind: 'problem' | 'ok' = 'problem'): void {
  view.banner.textContent = text;
  view.banner.className = kind;
  view.banner.hidden = false;
}

function hideBanner(): void {
  view.banner.hidden = true;
}

function describe(error: unknown): string {
  if (error instanceof HeraldCommandError) return `Herald refused it (${error.code}): ${error.message}`;
  if (error instanceof HeraldClientError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Submit handlers: no page reload, buttons disabled while it runs, a failure shown in the banner. */
function onSubmit(form: HTMLFormElement, handler: () => Promise<void>): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    buttons.forEach((button) => (button.disabled = true));
    handler()
      .catch((error: unknown) => showBanner(describe(error)))
      .finally(() => buttons.forEach((button) => (button.disabled = false)));
  });
}

async function loadConfig(): Promise<WebConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return (await response.json()) as WebConfig;
}

/** Plain WS to the page's own host (loopback: no certificate); WSS when the page came over https. */
function sipServerUrl(settings: WebConfig): string {
  if (settings.sipUrl !== undefined) return settings.sipUrl;
  const secure = location.protocol === 'https:';
  const port = secure ? settings.wssPort : settings.wsPort;
  if (port === undefined) throw new Error(`Herald has no ${secure ? 'secure ' : ''}WebSocket listener`);
  return `${secure ? 'wss' : 'ws'}://${location.hostname}:${port}`;
}

async function signIn(): Promise<void> {
  view.signInError.textContent = '';
  config ??= await loadConfig();
  const user = userOf(view.signInUser.value.trim());
  const server = sipServerUrl(config);
  const client = new HeraldClient({
    carrier: sipJsCarrier({ server, domain: config.domain, user, password: view.signInPassword.value }),
    login: { status: 'online', device: { name: 'Herald web', agent: navigator.userAgent.slice(0, 200) } },
  });
  const next: Session = {
    client,
    domain: config.domain,
    user,
    buddies: [],
    requests: new Map(),
    conversations: new Conversations(),
    unread: new Map(),
    selected: undefined,
  };
  session = next;
  listen(next);
  try {
    const login = await client.connect();
    view.signInPassword.value = '';
    view.displayName.value = login.profile.displayName ?? '';
    view.me.textContent = `${login.profile.displayName ?? user} (${login.user})`;
    view.status.value = 'online';
    view.note.value = '';
    view.signIn.hidden = true;
    view.app.hidden = false;
    hideBanner();
    renderAll(next);
  } catch (error) {
    session = undefined;
    view.signInError.textContent = signInProblem(error, server);
  }
}

function signInProblem(error: unknown, server: string): string {
  if (error instanceof HeraldClientError && error.code === 'HERALD_REGISTER_FAILED') {
    return error.sipStatus === 401 || error.sipStatus === 403
      ? 'Wrong user or password.'
      : `Herald refused the sign-in: ${error.message}`;
  }
  if (error instanceof HeraldClientError && error.code === 'HERALD_NOT_CONNECTED') {
    return `Cannot reach Herald at ${server}. Is it running?`;
  }
  return `Sign-in failed: ${describe(error)}`;
}

function listen(current: Session): void {
  const { client } = current;
  const active = (): boolean => session === current;
  client.on('state', (change) => {
    if (!active()) return;
    if (change.state === 'reconnecting') {
      showBanner(`Herald is unreachable (${change.reason ?? 'connection lost'}). Reconnecting…`);
    } else if (change.state === 'online' && !view.app.hidden) {
      showBanner('Reconnected to Herald.', 'ok');
    }
  });
  client.on('roster', (push) => {
    if (!active()) return;
    current.buddies = push.buddies;
    for (const buddy of push.buddies) {
      if (buddy.state === 'pending-in') current.requests.set(buddy.uri, buddy.name);
      else current.requests.delete(buddy.uri);
    }
    renderAll(current);
  });
  client.on('presence', (push) => {
    if (!active()) return;
    current.buddies = current.buddies.map((buddy) =>
      buddy.uri === push.uri ? { ...buddy, status: push.status, note: push.note } : buddy,
    );
    renderRoster(current);
  });
  client.on('buddy.request', (push) => {
    if (!active()) return;
    current.requests.set(push.from, push.name);
    renderRequests(current);
  });
  client.on('im', (push) => {
    if (!active() || current.conversations.incoming(push) === undefined) return;
    if (current.selected !== push.from)
      current.unread.set(push.from, (current.unread.get(push.from) ?? 0) + 1);
    renderAll(current);
  });
  client.on('im.status', (push) => {
    if (active() && current.conversations.status(push) !== undefined) renderMessages(current);
  });
  client.on('profile', (push) => {
    if (!active()) return;
    view.displayName.value = push.displayName ?? '';
    view.me.textContent = `${push.displayName ?? current.user} (sip:${current.user}@${current.domain})`;
  });
  client.on('error', (error) => {
    if (active()) showBanner(describe(error));
  });
}

function renderAll(current: Session): void {
  renderRequests(current);
  renderRoster(current);
  renderChat(current);
}

function renderRequests(current: Session): void {
  view.requestList.replaceChildren(
    ...[...current.requests].map(([from, name]) => {
      const label = name ? `${name} (${from})` : from;
      const answer = (accept: boolean) => (): void => {
        current.client.command('buddy.answer', { from, accept }).then(
          () => {
            current.requests.delete(from);
            renderRequests(current);
          },
          (error: unknown) => showBanner(describe(error)),
        );
      };
      const accept = h('button', { type: 'button', 'aria-label': `Accept ${label}` }, 'Accept');
      const refuse = h(
        'button',
        { type: 'button', class: 'secondary', 'aria-label': `Refuse ${label}` },
        'Refuse',
      );
      accept.addEventListener('click', answer(true));
      refuse.addEventListener('click', answer(false));
      return h('li', { class: 'request' }, h('span', {}, label), accept, refuse);
    }),
  );
  view.requests.hidden = current.requests.size === 0;
}

const STATUS_TEXT: Record<string, string> = {
  online: 'online',
  away: 'away',
  busy: 'busy',
  offline: 'offline',
};

function renderRoster(current: Session): void {
  const known = new Set(current.buddies.map((buddy) => buddy.uri));
  // Someone who wrote without being a buddy still gets a conversation entry.
  const strangers: RosterBuddy[] = current.conversations
    .peers()
    .filter((peer) => !known.has(peer))
    .map((uri) => ({ uri, group: 'Not in your roster', state: 'both', status: 'offline' }));
  const groups = groupRoster([
    ...current.buddies.filter((buddy) => buddy.state !== 'pending-in'),
    ...strangers,
  ]);
  view.roster.replaceChildren(
    ...groups.map((group) => {
      const title = h('h3', {}, group.name);
      return h(
        'section',
        { class: 'group', 'aria-label': group.name },
        title,
        h('ul', {}, ...group.buddies.map((buddy) => h('li', {}, buddyButton(current, buddy)))),
      );
    }),
  );
  if (groups.length === 0) view.roster.append(h('p', {}, 'No buddies yet: add one below.'));
}

function buddyButton(current: Session, buddy: RosterBuddy): HTMLButtonElement {
  const name = displayName(buddy);
  const unread = current.unread.get(buddy.uri) ?? 0;
  const pending = buddy.state === 'pending-out' ? 'waiting for an answer' : undefined;
  const status = STATUS_TEXT[buddy.status] ?? buddy.status;
  const button = h(
    'button',
    {
      type: 'button',
      class: 'buddy',
      'data-uri': buddy.uri,
      'aria-current': current.selected === buddy.uri ? 'true' : undefined,
      'aria-label': [name, status, buddy.note, pending, unread > 0 ? `${unread} unread` : undefined]
        .filter(Boolean)
        .join(', '),
    },
    h('span', { class: `dot ${buddy.status}`, 'aria-hidden': 'true' }),
    h('span', { class: 'name' }, name),
    unread > 0 ? h('span', { class: 'unread', 'aria-hidden': 'true' }, String(unread)) : h('span'),
    buddy.note ? h('span', { class: 'note' }, buddy.note) : undefined,
    pending ? h('span', { class: 'pending' }, pending) : undefined,
  );
  button.addEventListener('click', () => {
    current.selected = buddy.uri;
    current.unread.delete(buddy.uri);
    renderRoster(current);
    renderChat(current);
    view.composeText.focus();
  });
  return button;
}

function renderChat(current: Session): void {
  const peer = current.selected;
  view.composeForm.hidden = peer === undefined;
  const buddy = current.buddies.find((entry) => entry.uri === peer);
  view.buddyForm.hidden = buddy === undefined;
  if (peer === undefined) {
    view.chatTitle.textContent = 'Pick a buddy to chat';
    view.messages.replaceChildren();
    return;
  }
  view.chatTitle.textContent = `Chat with ${buddy ? displayName(buddy) : userOf(peer)}`;
  if (buddy !== undefined && view.buddyForm.dataset['uri'] !== buddy.uri) {
    view.buddyForm.dataset['uri'] = buddy.uri;
    view.buddyName.value = buddy.name ?? '';
    view.buddyGroup.value = buddy.group ?? '';
  }
  renderMessages(current);
}

const STATE_TEXT: Record<ChatMessage['state'], string> = {
  sending: 'sending…',
  sent: 'sent',
  delivered: 'delivered',
  stored: 'stored: delivered when they sign in',
  failed: 'not delivered',
  received: '',
};

function renderMessages(current: Session): void {
  const peer = current.selected;
  if (peer === undefined) return;
  view.messages.replaceChildren(
    ...current.conversations.with(peer).map((message) => {
      const time = new Date(message.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      const meta = [
        time,
        message.offline ? 'received while you were offline' : undefined,
        STATE_TEXT[message.state] || undefined,
        message.error,
      ]
        .filter(Boolean)
        .join(' · ');
      return h(
        'li',
        {
          class: `message ${message.direction}${message.offline ? ' offline' : ''}`,
          'data-state': message.state,
          'data-offline': message.offline ? 'true' : undefined,
        },
        h('span', { class: 'visually-hidden' }, message.direction === 'out' ? 'You: ' : `${userOf(peer)}: `),
        h('span', { class: 'text' }, message.text),
        h('span', { class: 'meta' }, meta),
      );
    }),
  );
  view.messages.scrollTop = view.messages.scrollHeight;
}

function requireSession(): Session {
  if (session === undefined) throw new Error('not signed in');
  return session;
}

onSubmit(view.signInForm, signIn);

onSubmit(view.presenceForm, async () => {
  const current = requireSession();
  await current.client.setPresence(view.status.value as DeviceStatus, view.note.value);
  showBanner(`Status set: ${view.status.value}${view.note.value ? `, “${view.note.value}”` : ''}.`, 'ok');
});

onSubmit(view.addForm, async () => {
  const current = requireSession();
  const uri = toAor(view.addUser.value, current.domain);
  const name = view.addName.value.trim();
  const group = view.addGroup.value.trim();
  // Herald pushes the changed roster (before the result) to every device of this user.
  await current.client.command('roster.add', {
    uri,
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
  });
  view.addForm.reset();
  showBanner(`Buddy request sent to ${uri}.`, 'ok');
});

onSubmit(view.profileForm, async () => {
  const current = requireSession();
  await current.client.command('profile.set', { displayName: view.displayName.value.trim() });
  showBanner('Profile saved.', 'ok');
});

onSubmit(view.buddyForm, async () => {
  const current = requireSession();
  const uri = view.buddyForm.dataset['uri'];
  if (uri === undefined) return;
  await current.client.command('roster.update', {
    uri,
    name: view.buddyName.value.trim(),
    group: view.buddyGroup.value.trim(),
  });
  showBanner('Buddy saved.', 'ok');
});

view.removeBuddy.addEventListener('click', () => {
  const current = requireSession();
  const uri = view.buddyForm.dataset['uri'];
  if (uri === undefined || !confirm(`Remove ${uri} from your buddies?`)) return;
  current.client.command('roster.remove', { uri }).then(
    () => {
      current.selected = undefined;
      delete view.buddyForm.dataset['uri'];
      renderAll(current);
    },
    (error: unknown) => showBanner(describe(error)),
  );
});

onSubmit(view.composeForm, async () => {
  const current = requireSession();
  const peer = current.selected;
  const text = view.composeText.value;
  if (peer === undefined || text.trim() === '') return;
  const message = current.conversations.outgoing(peer, text);
  view.composeText.value = '';
  renderMessages(current);
  try {
    const { messageId } = await current.client.sendIm(peer, text);
    current.conversations.accepted(message, messageId);
  } catch (error) {
    current.conversations.refused(message, describe(error));
  }
  renderMessages(current);
});

// Enter sends, Shift+Enter starts a new line.
view.composeText.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    view.composeForm.requestSubmit();
  }
});

view.signOut.addEventListener('click', () => {
  const current = session;
  session = undefined;
  view.signOut.disabled = true;
  // Logout and unregister finish before the form comes back: the next sign-in starts clean.
  (current?.client.disconnect() ?? Promise.resolve())
    .catch((error: unknown) => showBanner(`Sign-out: ${describe(error)}`))
    .finally(() => {
      view.signOut.disabled = false;
      view.app.hidden = true;
      view.signIn.hidden = false;
      if (view.banner.className === 'ok') hideBanner();
      view.signInUser.focus();
    });
});

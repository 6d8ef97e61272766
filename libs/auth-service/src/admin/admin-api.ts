import {
  DeviceStatusSchema,
  SessionCarrierSchema,
  TransportSchema,
  VisibleStatusSchema,
} from '#herald/contracts';
import { MAX_ACCOUNT_IMPORT_BATCH } from '#herald/domain';
import { z } from 'zod';

/**
 * The admin API's contract: every route with its request and answer schemas. The controllers
 * parse requests with these schemas and `/admin/openapi.json` is generated from them, so the
 * document cannot drift from what the API accepts (test/auth/admin-openapi.test.ts checks that
 * every route here is served and every served route is here).
 */

const Settings = z.record(z.string(), z.unknown());
const Timestamp = z.iso.datetime();

export const CreateAccountBody = z.strictObject({
  username: z.string(),
  password: z.string(),
  displayName: z.string().optional(),
  settings: Settings.optional(),
});
export const UpdateAccountBody = z.strictObject({
  displayName: z.string().nullable().optional(),
  settings: Settings.optional(),
  disabled: z.boolean().optional(),
});
export const PasswordBody = z.strictObject({ password: z.string() });
export const AccountListQuery = z.strictObject({
  after: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export const ImportAccountsBody = z.strictObject({
  accounts: z
    .array(z.strictObject({ username: z.string(), password: z.string(), displayName: z.string().optional() }))
    .max(MAX_ACCOUNT_IMPORT_BATCH),
});
/** Whose devices: a user (username or AOR) or an edge id, exactly one. */
export const DeviceListQuery = z
  .strictObject({
    user: z.string().min(1).optional().describe('a username (alice) or an AOR (sip:alice@D)'),
    edge: z.string().min(1).optional().describe('an edge id (HERALD_EDGE_ID)'),
    after: z.string().optional().describe('the `next` of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .refine((query) => (query.user === undefined) !== (query.edge === undefined), {
    message: 'give exactly one of user and edge',
  });

const Account = z.object({
  username: z.string(),
  aor: z.string(),
  disabled: z.boolean(),
  displayName: z.string().optional(),
  settings: Settings,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const Session = z.object({
  carrier: SessionCarrierSchema,
  status: DeviceStatusSchema,
  note: z.string().optional(),
  device: z.object({ name: z.string().optional(), agent: z.string().optional() }).optional(),
  startedAt: Timestamp,
});
const Device = z.object({
  aor: z.string(),
  deviceId: z.string(),
  contact: z.string(),
  edgeId: z.string(),
  flowId: z.string(),
  transport: TransportSchema,
  source: z.object({ address: z.string(), port: z.number().int() }),
  callId: z.string().describe("the Call-ID of the device's REGISTERs"),
  cseq: z.number().int(),
  expiresAt: Timestamp,
  registeredAt: Timestamp,
  session: Session.optional().describe('present while the device is logged in'),
});
const DevicePage = z.object({
  devices: z.array(Device),
  next: z.string().optional().describe('present when there may be more: pass it as `after`'),
});
const Kicked = z.object({
  kicked: z.array(z.object({ aor: z.string(), deviceId: z.string(), loggedIn: z.boolean() })),
});
const Roster = z.object({
  aor: z.string(),
  buddies: z.array(
    z.object({
      uri: z.string(),
      name: z.string().optional(),
      group: z.string().optional(),
      state: z.enum(['both', 'pending-out', 'pending-in']),
      presence: z.object({ status: VisibleStatusSchema, note: z.string().optional(), at: Timestamp }),
    }),
  ),
});
const ImportResult = z.object({
  results: z.array(
    z.object({
      username: z.string(),
      outcome: z.enum(['created', 'existed', 'refused']),
      code: z.string().optional(),
      message: z.string().optional(),
    }),
  ),
});
const Stats = z.object({
  accounts: z.object({ total: z.number().int(), disabled: z.number().int() }),
  registrations: z.object({ total: z.number().int(), byTransport: z.record(z.string(), z.number().int()) }),
  sessions: z.number().int(),
  rosters: z.object({ buddyPairs: z.number().int(), pendingRequests: z.number().int() }),
  offlineMessages: z.number().int(),
  presence: z.object({ publications: z.number().int(), subscriptions: z.number().int() }),
});
export const AdminErrorBody = z.object({ code: z.string(), message: z.string() });

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface AdminRoute {
  method: HttpMethod;
  /** OpenAPI form: `/admin/accounts/{username}`. */
  path: string;
  summary: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success status and its body (none for 204). */
  status: number;
  response?: z.ZodType;
  /** Error statuses besides 401 (every route answers 401 without the token). */
  errors: readonly number[];
}

const USER = 'username or AOR';

/** Every admin route; the OpenAPI document is generated from this list. */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  {
    method: 'post',
    path: '/admin/accounts',
    summary: 'create an account',
    body: CreateAccountBody,
    status: 201,
    response: Account,
    errors: [400, 409],
  },
  {
    method: 'get',
    path: '/admin/accounts',
    summary: 'list accounts by username',
    query: AccountListQuery,
    status: 200,
    response: z.object({ accounts: z.array(Account) }),
    errors: [400],
  },
  {
    method: 'post',
    path: '/admin/accounts/import',
    summary: `create up to ${MAX_ACCOUNT_IMPORT_BATCH} accounts at once; each is created, existed or refused`,
    body: ImportAccountsBody,
    status: 200,
    response: ImportResult,
    errors: [400],
  },
  {
    method: 'get',
    path: '/admin/accounts/{username}',
    summary: 'read an account',
    status: 200,
    response: Account,
    errors: [404],
  },
  {
    method: 'patch',
    path: '/admin/accounts/{username}',
    summary: 'change display name, settings or disabled',
    body: UpdateAccountBody,
    status: 200,
    response: Account,
    errors: [400, 404],
  },
  {
    method: 'delete',
    path: '/admin/accounts/{username}',
    summary: 'delete an account with its registrations and sessions (announced)',
    status: 204,
    errors: [404],
  },
  {
    method: 'post',
    path: '/admin/accounts/{username}/password',
    summary: 'set a new password',
    body: PasswordBody,
    status: 200,
    response: Account,
    errors: [400, 404],
  },
  {
    method: 'post',
    path: '/admin/accounts/{username}/disable',
    summary: 'disable an account; its devices are unregistered (announced)',
    status: 200,
    response: Account,
    errors: [404],
  },
  {
    method: 'post',
    path: '/admin/accounts/{username}/enable',
    summary: 'enable an account',
    status: 200,
    response: Account,
    errors: [404],
  },
  {
    method: 'get',
    path: '/admin/registrations',
    summary: 'registered devices of a user or an edge, each with its session when logged in',
    query: DeviceListQuery,
    status: 200,
    response: DevicePage,
    errors: [400],
  },
  {
    method: 'delete',
    path: '/admin/registrations/{user}',
    summary: `unregister every device of a user (${USER}), announced as an unREGISTER`,
    status: 200,
    response: Kicked,
    errors: [400, 404],
  },
  {
    method: 'delete',
    path: '/admin/registrations/{user}/{deviceId}',
    summary: 'unregister one device, announced as an unREGISTER',
    status: 200,
    response: Kicked,
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/admin/sessions',
    summary: 'logged-in devices of a user or an edge',
    query: DeviceListQuery,
    status: 200,
    response: DevicePage,
    errors: [400],
  },
  {
    method: 'delete',
    path: '/admin/sessions/{user}',
    summary: `log out every device of a user (${USER}), announced as a logout`,
    status: 200,
    response: Kicked,
    errors: [400, 404],
  },
  {
    method: 'delete',
    path: '/admin/sessions/{user}/{deviceId}',
    summary: 'log out one device, announced as a logout',
    status: 200,
    response: Kicked,
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/admin/rosters/{user}',
    summary: "a user's roster with each accepted buddy's presence",
    status: 200,
    response: Roster,
    errors: [400, 404],
  },
  {
    method: 'put',
    path: '/admin/rosters/{user}/buddies/{buddy}',
    summary: 'make two users buddies (adds the pair or accepts a pending request), pushed to their devices',
    status: 200,
    response: Roster,
    errors: [400, 404],
  },
  {
    method: 'delete',
    path: '/admin/rosters/{user}/buddies/{buddy}',
    summary: 'remove the pair both ways, pushed to their devices',
    status: 204,
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/admin/stats',
    summary:
      'counts of accounts, registrations, sessions, rosters, offline IMs, publications and subscriptions',
    status: 200,
    response: Stats,
    errors: [],
  },
  {
    method: 'get',
    path: '/admin/openapi.json',
    summary: 'this document (no token needed)',
    status: 200,
    response: z.object({ openapi: z.literal('3.1.0') }).loose(),
    errors: [],
  },
];

// The operator's surface against the embedded default (`npm start`): its admin API on a port of
// its own, with the token it made itself, announced in its start banner.
import { HeraldEmbedded } from '../support/herald-embedded';
import { describeAdminScenarios } from './admin-scenarios';

let embedded: HeraldEmbedded | undefined;
describeAdminScenarios(async () => (embedded = await HeraldEmbedded.start()));

it('prints the admin URL where its banner lists what it serves', () => {
  if (embedded === undefined) throw new Error('the embedded default did not start');
  const admin = embedded.adminUrl;
  expect(embedded.herald.log).toContain(
    `Admin API: ${admin}/admin (OpenAPI: ${admin}/admin/openapi.json; docs/admin.md; token: ${embedded.dataDir}/admin-token).`,
  );
  expect(embedded.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

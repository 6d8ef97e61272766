// docs/interop.md cannot drift from the tests in either direction. Each client test asserts its
// observed rows are in the table (expectInteropRow); this file asserts every row of the table is
// asserted by a test: its client has a test file test/interop/<client>.test.ts (the name in lower
// case, letters and digits only) calling expectInteropRow, and that file, or a module of
// test/interop it imports, writes the row's feature whole (as a string or a template literal).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { documentedInteropRows, type InteropRow } from '../support/interop-matrix';

const INTEROP_TESTS = __dirname;
/** The fixed text a template literal needs to count as writing a feature. */
const MIN_TEMPLATE_TEXT = 12;
function testFileOf(client: string): string {
  return join(INTEROP_TESTS, `${client.toLowerCase().replace(/[^a-z0-9]/g, '')}.test.ts`);
}

/** The file's source and that of the test/interop modules it imports (`./name`), transitively. */
function sourcesOf(file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return '';
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  const imported = [...source.matchAll(/from '\.\/([\w-]+)'/g)].map((match) =>
    join(dirname(file), `${match[1] ?? ''}.ts`),
  );
  return [source, ...imported.filter(existsSync).map((path) => sourcesOf(path, seen))].join('\n');
}

/** Whether `feature` is written whole in `sources`: quoted, or as a template literal whose `${…}` parts stand for any text. */
function asserts(sources: string, feature: string): boolean {
  if ([`'${feature}'`, `"${feature}"`, `\`${feature}\``].some((literal) => sources.includes(literal)))
    return true;
  return [...sources.matchAll(/`([^`]*\$\{[^`]*)`/g)].some(([, template = '']) => {
    const parts = template.split(/\$\{[^}]*\}/);
    // A template that is mostly placeholders would match any feature.
    if (parts.join('').length < MIN_TEMPLATE_TEXT) return false;
    const pattern = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+');
    return new RegExp(`^${pattern}$`).test(feature);
  });
}

const rows = documentedInteropRows();
const clients = [...new Set(rows.map((row) => row.client))];

describe('docs/interop.md', () => {
  it('documents each client and feature once', () => {
    const keys = rows.map((row) => `${row.client} | ${row.feature}`);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
    expect(rows.length).toBeGreaterThan(0);
  });

  it.each(clients)('has every row of %s asserted by its test file', (client) => {
    const file = testFileOf(client);
    expect({ client, testFileExists: existsSync(file) }).toEqual({ client, testFileExists: true });
    const sources = sourcesOf(file);
    expect(sources).toContain('expectInteropRow(');
    const unasserted = rows
      .filter((row: InteropRow) => row.client === client)
      .filter((row) => !asserts(sources, row.feature))
      .map((row) => row.feature);
    expect(unasserted).toEqual([]);
  });
});

// The interop matrix in docs/interop.md is checked by the tests that produce it, so it cannot
// drift: each client's test observes a result and asserts that the table documents exactly that
// result for that client, version and feature. A row whose client test no longer runs is caught by
// test/interop/matrix.test.ts, which asserts every documented client has a test file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One row of the table in docs/interop.md. */
export interface InteropRow {
  /** The client's name as the table spells it, e.g. `SIPp`. */
  client: string;
  /** The version the test ran, as the client reports it. */
  version: string;
  /** What was exercised, e.g. `REGISTER with MD5 digest`. */
  feature: string;
  /** `pass`, or `fails: <whose bug and why>`. */
  result: string;
}

export const INTEROP_DOC = join(__dirname, '..', '..', 'docs', 'interop.md');

const HEADER = ['client', 'version', 'feature', 'result'];

/** The rows of the first table in docs/interop.md whose header is client | version | feature | result. */
export function documentedInteropRows(markdown = readFileSync(INTEROP_DOC, 'utf8')): InteropRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => sameCells(cells(line), HEADER));
  if (start < 0) throw new Error(`${INTEROP_DOC} has no table headed | ${HEADER.join(' | ')} |`);
  const rows: InteropRow[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trimStart().startsWith('|')) break;
    const [client, version, feature, result] = cells(line);
    if (client === undefined || version === undefined || feature === undefined || result === undefined) {
      throw new Error(`${INTEROP_DOC}: a row needs four cells: ${line}`);
    }
    rows.push({ client, version, feature, result });
  }
  return rows;
}

/**
 * Asserts that docs/interop.md documents this observed row exactly once (client, version and
 * feature identify it; the result must match). Call it after the behaviour itself was asserted.
 */
export function expectInteropRow(observed: InteropRow): void {
  const matches = documentedInteropRows().filter(
    (row) => row.client === observed.client && row.feature === observed.feature,
  );
  expect(matches).toEqual([observed]);
}

function cells(line: string): string[] {
  const trimmed = line.trim();
  if (!trimmed.startsWith('|') || !trimmed.endsWith('|')) return [];
  return trimmed
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim().replace(/`/g, ''));
}

function sameCells(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((cell, index) => cell.toLowerCase() === b[index]);
}

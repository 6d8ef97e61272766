import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchRecord, readResults } from './lib/results';

/**
 * Writes the figures of bench/results.jsonl as tables into docs/benchmarks.md, between the
 * results markers; the hand-written text around them stays.
 *   [BENCH_REPORT=file.md] node dist/bench/write-report.js [results.jsonl]
 */
/** BENCH_REPORT: another file to write (e.g. a copy, for a trial run that must not touch the docs). */
const REPORT = process.env['BENCH_REPORT'] ?? join(__dirname, '..', '..', 'docs', 'benchmarks.md');
const START = '<!-- bench:results:start (written by bench/write-report.ts) -->';
const END = '<!-- bench:results:end -->';
const SECTIONS: Record<string, string> = {
  machine: 'Machine',
  'sip-rate': '1–2. SIPp: Herald against Kamailio (highest rate with zero failed calls)',
  'im-latency': '3. End-to-end IM latency (sender INFO sent → recipient push received)',
  fanout: '4. Presence fan-out to 1,000 watchers',
  capacity: '5. Capacity: registered and logged-in UDP devices on one edge',
  polling: '6. Push against HTTP polling (one simulated hour)',
  errors: 'Benchmarks that failed or timed out in a run',
};

function cell(record: BenchRecord | undefined): string {
  if (record === undefined) return '';
  return `${record.value}${record.unit ? ` ${record.unit}` : ''} <sub>load ${record.load.split(' ')[0]}</sub>`;
}

function table(records: BenchRecord[]): string[] {
  const sides = [...new Set(records.map((record) => record.side))];
  const names = [...new Set(records.map((record) => record.name))];
  // The last record of a (name, side) wins: a re-run replaces a figure.
  const find = (name: string, side: string) =>
    records.filter((r) => r.name === name && r.side === side).at(-1);
  const lines = [`| figure | ${sides.join(' | ')} |`, `|---|${sides.map(() => '---').join('|')}|`];
  for (const name of names)
    lines.push(`| ${name} | ${sides.map((side) => cell(find(name, side))).join(' | ')} |`);
  const details = records.filter((record) => record.detail !== '');
  if (details.length > 0) {
    lines.push('', '<details><summary>run details</summary>', '');
    for (const record of details) lines.push(`- ${record.side}, ${record.name}: ${record.detail}`);
    lines.push('', '</details>');
  }
  return lines;
}

function numberOf(records: BenchRecord[], section: string, name: string, side: string): number {
  const found = records.filter((r) => r.section === section && r.name === name && r.side === side).at(-1);
  return found === undefined ? Number.NaN : Number(found.value);
}

function ratios(records: BenchRecord[]): string[] {
  const lines = ['| comparison | ratio |', '|---|---|'];
  // Every rate of the SIPp searches: REGISTER, IM one pair, IM several pairs at once.
  const rates = new Set(
    records.filter((r) => r.section === 'sip-rate' && r.name.endsWith(' per second')).map((r) => r.name),
  );
  for (const name of rates) {
    for (const side of ['herald-embedded', 'herald-kafka']) {
      const value =
        numberOf(records, 'sip-rate', name, side) / numberOf(records, 'sip-rate', name, 'kamailio');
      if (Number.isFinite(value)) lines.push(`| ${name}: ${side} / Kamailio | ${value.toFixed(3)} |`);
    }
  }
  for (const mode of ['embedded', 'kafka']) {
    const push = `herald-${mode} push`;
    const speed =
      numberOf(records, 'polling', 'status/IM delay mean', 'HTTP polling every 30 s') /
      numberOf(records, 'polling', 'status/IM delay mean', push);
    const idle =
      numberOf(records, 'polling', 'bytes per user-hour, idle', 'HTTP polling every 30 s') /
      numberOf(records, 'polling', 'bytes per user-hour, idle', push);
    if (Number.isFinite(speed)) lines.push(`| mean delay: 30 s polling / ${push} | ${speed.toFixed(1)}× |`);
    if (Number.isFinite(idle)) lines.push(`| idle bytes: 30 s polling / ${push} | ${idle.toFixed(1)}× |`);
  }
  return lines;
}

function main(): void {
  const records = readResults(process.argv[2]);
  const body: string[] = [START, '', `Last run: ${records.at(-1)?.at ?? 'never'}.`, ''];
  for (const [section, title] of Object.entries(SECTIONS)) {
    const inSection = records.filter((record) => record.section === section);
    if (inSection.length === 0) continue;
    body.push(`### ${title}`, '', ...table(inSection), '');
  }
  body.push('### Ratios (both sides measured in the same run)', '', ...ratios(records), '', END);
  const current = readFileSync(REPORT, 'utf8');
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${body.join('\n')}${current.slice(end + END.length)}`
      : `${current.trimEnd()}\n\n${body.join('\n')}\n`;
  writeFileSync(REPORT, next);
  console.log(`write-report: ${records.length} figures written to ${REPORT}`);
}

main();

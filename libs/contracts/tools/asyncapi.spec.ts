import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { TOPICS } from '../src/topics';
import { buildAsyncApiDocument } from './asyncapi';

const ASYNCAPI_PATH = join(__dirname, '..', '..', '..', 'docs', 'asyncapi.yaml');

interface AsyncApiDocument {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, unknown> }>;
  components: { messages: Record<string, { name: string }> };
}

describe('docs/asyncapi.yaml', () => {
  if (process.env['UPDATE_ASYNCAPI'] === '1') {
    writeFileSync(ASYNCAPI_PATH, stringify(buildAsyncApiDocument(), { lineWidth: 0 }));
  }
  const document = parse(readFileSync(ASYNCAPI_PATH, 'utf8')) as AsyncApiDocument;

  it('is AsyncAPI 3.0', () => {
    expect(document.asyncapi).toBe('3.0.0');
  });

  it('lists exactly the topics of the TOPICS registry', () => {
    const addresses = Object.values(document.channels).map((channel) => channel.address);
    expect(addresses.sort()).toEqual(TOPICS.map((t) => t.topic).sort());
  });

  it('describes every event type carried, once however many topics carry it', () => {
    const names = Object.values(document.components.messages).map((message) => message.name);
    expect(names.sort()).toEqual([...new Set(TOPICS.flatMap((t) => t.eventTypes))].sort());
  });

  it('is in sync with the contracts (regenerate with UPDATE_ASYNCAPI=1)', () => {
    expect(document).toEqual(buildAsyncApiDocument());
  });
});

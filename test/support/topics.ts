import { randomUUID } from 'node:crypto';

/**
 * Names no other test uses, so tests on the shared broker never see each other's records or
 * offsets. Kafka allows [a-zA-Z0-9._-] in topic names, up to 249 characters.
 */

export function uniqueTopic(base: string): string {
  return `test.${kafkaSafe(base)}.${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export function uniqueGroupId(base: string): string {
  return `test-${kafkaSafe(base)}-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

function kafkaSafe(base: string): string {
  return base.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 100);
}

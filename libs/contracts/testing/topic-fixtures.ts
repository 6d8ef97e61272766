import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishDecidedV1, pushRequestedV1, registerDecidedV1 } from '../src/events/edge-outbound.v1';
import type { EventContract } from '../src/events/event-contract';
import { notifyRequestedV1, subscribeDecidedV1 } from '../src/events/subscription-outbound.v1';
import { type TopicDescription, TOPICS } from '../src/topics';

export type AnyEvent = { v: number; type: string; at: string };
export type AnyEventContract = EventContract<AnyEvent>;

const FIXTURES_DIR = join(__dirname, '..', 'fixtures');

/** The contract a producer builds each event type of a union topic with (the others build with the topic's). */
export const MEMBER_CONTRACTS_BY_TYPE: Readonly<Record<string, AnyEventContract>> = {
  'push.requested': pushRequestedV1 as unknown as AnyEventContract,
  'register.decided': registerDecidedV1 as unknown as AnyEventContract,
  'publish.decided': publishDecidedV1 as unknown as AnyEventContract,
  'subscribe.decided': subscribeDecidedV1 as unknown as AnyEventContract,
  'notify.requested': notifyRequestedV1 as unknown as AnyEventContract,
};

/** A checked-in event of a topic (libs/contracts/fixtures/<topic>/<file>.json). */
export interface TopicFixture {
  /** `<topic> <file>`, for test names. */
  name: string;
  topic: TopicDescription;
  event: AnyEvent;
}

/** Every checked-in event of every topic. */
export function topicFixtures(): TopicFixture[] {
  return TOPICS.flatMap((topic) => {
    const dir = join(FIXTURES_DIR, topic.topic.replace('.{edgeId}', ''));
    return readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => ({
        name: `${topic.topic} ${file}`,
        topic,
        event: JSON.parse(readFileSync(join(dir, file), 'utf8')) as AnyEvent,
      }));
  });
}

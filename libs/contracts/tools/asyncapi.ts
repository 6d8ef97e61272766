import { z } from 'zod';
import { type TopicDescription, TOPICS } from '../src/topics';

/** `sip.register-requested.v1` -> `sipRegisterRequestedV1` (AsyncAPI ids). */
function camelId(name: string): string {
  return name
    .replace(/[{}]/g, '')
    .split(/[.\-_]/)
    .map((part, index) => (index === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');
}

/** The part of a generated JSON Schema this generator relies on. */
const EventJsonSchema = z.looseObject({
  properties: z.looseObject({ type: z.object({ const: z.string() }) }),
});
type EventJsonSchema = z.infer<typeof EventJsonSchema>;

/** One JSON Schema per event type, named by its `type` literal; a union topic is split into its members. */
function eventPayloads(description: TopicDescription): Array<{ type: string; payload: EventJsonSchema }> {
  const schema = description.contract.schema;
  const members = schema instanceof z.ZodDiscriminatedUnion ? (schema.options as z.ZodType[]) : [schema];
  return members.map((member) => {
    // Input form: consumers tolerate unknown fields, so the schema must not forbid them.
    // Draft 7: the default AsyncAPI 3 schema format is a superset of it.
    const payload = EventJsonSchema.parse(z.toJSONSchema(member, { io: 'input', target: 'draft-7' }));
    // The dialect is declared once for the document, not per payload.
    delete payload['$schema'];
    return { type: payload.properties.type.const, payload };
  });
}

/** The AsyncAPI 3.0 document of every topic in TOPICS (docs/asyncapi.yaml is this, as YAML). */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const description of TOPICS) {
    const channelId = camelId(description.topic);
    const events = eventPayloads(description);
    for (const { type, payload } of events) {
      messages[camelId(type)] = {
        name: type,
        contentType: 'application/json',
        summary: `${type} (key: ${description.key})`,
        payload,
      };
    }
    channels[channelId] = {
      address: description.topic,
      description: `${description.summary} Key: ${description.key}. Producer: ${description.producer}; consumers: ${description.consumers.join(', ')}.`,
      ...(description.topic.includes('{edgeId}')
        ? { parameters: { edgeId: { description: 'HERALD_EDGE_ID of the edge that holds the flows.' } } }
        : {}),
      messages: Object.fromEntries(
        events.map(({ type }) => [camelId(type), { $ref: `#/components/messages/${camelId(type)}` }]),
      ),
    };
    const channelMessages = events.map(({ type }) => ({
      $ref: `#/channels/${channelId}/messages/${camelId(type)}`,
    }));
    operations[`send${channelId.charAt(0).toUpperCase()}${channelId.slice(1)}`] = {
      action: 'send',
      summary: `Produced by ${description.producer}.`,
      channel: { $ref: `#/channels/${channelId}` },
      messages: channelMessages,
    };
    operations[`receive${channelId.charAt(0).toUpperCase()}${channelId.slice(1)}`] = {
      action: 'receive',
      summary: `Consumed by ${description.consumers.join(', ')}.`,
      channel: { $ref: `#/channels/${channelId}` },
      messages: channelMessages,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Herald internal events',
      version: '1.0.0',
      description:
        'Generated from libs/contracts (TOPICS). Regenerate: UPDATE_ASYNCAPI=1 npx jest libs/contracts/tools --selectProjects unit',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}

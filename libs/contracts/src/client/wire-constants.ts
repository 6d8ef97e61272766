// Plain values of protocol.md, free of zod so that a client bundle (libs/client) takes them alone.

export const PROTOCOL_VERSION = 1;

/** SIP Content-Type of every envelope body (protocol.md §2). */
export const ENVELOPE_CONTENT_TYPE = 'application/vnd.herald+json';

/** Limits of protocol.md §3–4 (and careful defaults where it is silent). */
export const LIMITS = {
  idLength: 64,
  noteLength: 256,
  textLength: 4096,
  settingsBytes: 4096,
  nameLength: 128,
  uriLength: 256,
} as const;

export { challengeFor, authorizationHeader, type DigestChallenge } from '#herald/client/node';
export * from './sip-client';

export * from './im.tables';
export * from './message-store';
export * from './migrations/1795493069063-im-messages';
export * from './plain-device-queue';
export * from './migrations/1795493900375-im-plain-device-queue';
export * from './message-retention-store';
export * from './migrations/1796900000000-im-messages-delivered-at';

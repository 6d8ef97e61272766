export * from './message.entity';
export * from './message-store';
export * from './account-directory';
export * from './migrations/1795493069063-im-messages';

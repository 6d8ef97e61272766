export * from './presence.tables';
export * from './roster-repository';
export * from './presence-repository';
export * from './migrations/1795493295151-presence-rosters-and-status';
export * from './publication-repository';
export * from './migrations/1795600000000-presence-publications';
export * from './subscription-repository';
export * from './migrations/1795600100000-presence-subscriptions';

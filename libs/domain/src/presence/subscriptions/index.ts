export * from './subscription-model';
export * from './simple-notifier';
export * from './subscription-service';
export * from './subscription-expiry';

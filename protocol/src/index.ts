export * from './constants.ts';
export * from './errors.ts';
export * from './track.ts';
export * from './auth.ts';
export * from './presence.ts';
export * from './events.ts';
export * from './api.ts';
export * from './activity.ts';

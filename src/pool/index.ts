export * from './errors.ts';
export * from './frame-format.ts';
export * from './shared-lock.ts';
export * from './arena.ts';
export * from './frame-pool.ts';
export * from './frame-queue.ts';
export * from './strategy.ts';

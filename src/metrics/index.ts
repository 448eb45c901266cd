export * from './stages.ts';
export * from './histogram.ts';
export * from './metrics-block.ts';
export * from './sampler.ts';

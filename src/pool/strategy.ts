// Transitional: tests not yet moved import links from here. Use ./link.ts.
export * from './link.ts';

// comlink ships types for its Node adapter beside the .mjs, under a name TypeScript does not map.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default } from 'comlink/dist/esm/node-adapter';
}

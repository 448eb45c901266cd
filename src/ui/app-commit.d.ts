/** The app's git commit (short hash, or 'unknown'), set by vite.config.ts at build time. */
declare const __APP_COMMIT__: string;

import './style.css';
import { App } from './app.ts';
import { loadEngine } from './engine.ts';

const root = document.querySelector<HTMLDivElement>('#app');
if (root) {
  root.textContent = 'Loading…';
  loadEngine().then(
    (engine) => {
      const app = new App(engine);
      app.mount(root);
      (window as unknown as { framepool: App }).framepool = app;
    },
    (error: unknown) => {
      root.textContent = `FramePool Lab could not start: ${error instanceof Error ? error.message : String(error)}`;
    },
  );
}

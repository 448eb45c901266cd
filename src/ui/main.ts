const app = document.querySelector<HTMLDivElement>('#app');
if (app) {
  app.innerHTML = `<h1>FramePool Lab</h1><p id="isolation"></p>`;
  const isolation = app.querySelector('#isolation');
  if (isolation) {
    isolation.textContent = crossOriginIsolated
      ? 'Cross-origin isolated: shared memory is available.'
      : 'Not cross-origin isolated: serve the app with COOP/COEP headers (npm run dev does).';
  }
}

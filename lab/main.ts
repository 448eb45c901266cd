/**
 * npm run lab [-- --file PATH] [--mode pooled|unpooled] [--pacing max|realtime] [--compare]
 *                [--headless] [--report OUT.json] [--port N] [--no-probe] [--timeout SECONDS]
 *
 * Starts the app's dev server (with the memory feed) on 127.0.0.1, launches a Chromium or
 * Chrome with DevTools on loopback only, opens the app and probes every worker's heap and the
 * OS's view of the browser. With --headless it runs once (or a Compare), writes the report
 * and exits. Bad input ends with one sentence saying what to do, exit code 1.
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chooseFile, select, waitForApp } from './drive.ts';
import { LabError } from './errors.ts';
import { runHeadless, writeReport } from './headless.ts';
import { startLab, type Lab } from './lab.ts';

const USAGE = 'usage: npm run lab -- [--file PATH] [--mode pooled|unpooled] [--pacing max|realtime] [--compare] [--headless] [--report OUT.json] [--port N] [--no-probe]';

interface Cli {
  file: string | null;
  mode: 'pooled' | 'unpooled';
  pacing: 'max' | 'realtime';
  compare: boolean;
  headless: boolean;
  report: string;
  port: number | undefined;
  probe: boolean;
  timeoutMs: number;
}

export function parseCli(argv: string[]): Cli {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string' }, mode: { type: 'string', default: 'pooled' }, pacing: { type: 'string', default: 'max' },
        compare: { type: 'boolean', default: false }, headless: { type: 'boolean', default: false },
        report: { type: 'string', default: 'lab-report.json' }, port: { type: 'string' },
        'no-probe': { type: 'boolean', default: false }, timeout: { type: 'string', default: '900' }, help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    throw new LabError(`${e instanceof Error ? e.message : String(e)}. ${USAGE}`);
  }
  if (values.help) throw new LabError(USAGE);
  if (values.mode !== 'pooled' && values.mode !== 'unpooled') throw new LabError(`--mode must be pooled or unpooled, not "${values.mode}".`);
  if (values.pacing !== 'max' && values.pacing !== 'realtime') throw new LabError(`--pacing must be max or realtime, not "${values.pacing}".`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LabError(`--port must be a port number (1–65535), not "${values.port}".`);
  }
  const file = values.file ?? null;
  if (file !== null) {
    if (!existsSync(file)) throw new LabError(`No file at ${file}: give --file the path of a video, or leave it out to use the bundled sample.`);
    if (!statSync(file).isFile()) throw new LabError(`${file} is not a file: give --file the path of a video file.`);
  }
  const timeout = Number(values.timeout);
  return {
    file, mode: values.mode, pacing: values.pacing, compare: values.compare, headless: values.headless,
    report: values.report, port, probe: !values['no-probe'], timeoutMs: (Number.isFinite(timeout) && timeout > 0 ? timeout : 900) * 1000,
  };
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  let lab: Lab | null = null;
  let closing: Promise<void> | null = null;
  const close = () => (closing ??= lab ? lab.close() : Promise.resolve());
  // Until the lab is up, a signal just exits: the browser is killed by its exit hook (chromium.ts).
  process.once('SIGINT', () => void close().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void close().finally(() => process.exit(143)));
  lab = await startLab({ headless: cli.headless, port: cli.port, probe: cli.probe, costSeconds: 2 });
  try {
    if (cli.headless) {
      const report = await runHeadless(lab, { file: cli.file, mode: cli.mode, pacing: cli.pacing, compare: cli.compare, timeoutMs: cli.timeoutMs });
      writeReport(cli.report, report);
      console.log(`${report.status}\nReport (${report.runs.length} run${report.runs.length === 1 ? '' : 's'}, ${report.samples.length} probe samples) written to ${cli.report}.`);
      await close();
      if (/ failed/.test(report.status)) process.exitCode = 1;
      return;
    }
    const l = lab;
    await waitForApp(l.page);
    if (cli.file) await chooseFile(l.page, cli.file);
    await select(l.page, 'mode', cli.mode);
    await select(l.page, 'pacing', cli.pacing);
    console.log(`FramePool Lab: ${lab.server.url}/ is open in the lab's browser (pid ${lab.browser.pid}); the memory panel charts every worker's heap ` +
      `${cli.probe ? 'at 10 Hz' : '(probe off: --no-probe)'}. Close the browser or press Ctrl+C to stop.`);
    await new Promise<void>((resolve) => lab.browser.process.once('exit', () => resolve()));
    await close();
  } catch (e) {
    await close();
    throw e;
  }
}

main().catch((e: unknown) => {
  if (e instanceof LabError) console.error(e.message);
  else console.error(`The lab stopped on an unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});

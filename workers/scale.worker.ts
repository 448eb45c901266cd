import * as Comlink from 'comlink';
import { scaleWorkerApi } from '../src/pipeline/stages/worker-apis.ts';

Comlink.expose(scaleWorkerApi());

import { WasmSimdI420Scaler } from './wasm-simd-i420.ts';
import { i420Layout } from '../../../pool/frame-format.ts';
const mem = new WebAssembly.Memory({ initial: 64, maximum: 1000, shared: true });
const src = new Uint8Array(mem.buffer, 4096, i420Layout(1280,720).byteLength); for (let i=0;i<src.length;i++) src[i]=Math.random()*256;
const out = new Uint8Array(mem.buffer, 2<<20, i420Layout(854,480).byteLength);
const psrc = src.slice(), pout = out.slice();
const s = new WasmSimdI420Scaler(1280,720,854,480);
const time = (f: () => void) => { for (let i=0;i<20;i++) f(); let best=Infinity; for (let r=0;r<5;r++){const t=performance.now(); for(let i=0;i<100;i++) f(); best=Math.min(best,(performance.now()-t)/100);} return best.toFixed(3); };
for (let round=0; round<3; round++) {
console.log('shared', time(() => s.scale(src,out)), 'plain', time(() => s.scale(psrc,pout)));
}

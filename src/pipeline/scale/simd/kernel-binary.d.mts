// Types of kernel-binary.mjs, which build-kernel.mjs generates (`npm run build:wasm`).
/** The scaler kernel's .wasm bytes, base64. */
export declare const kernelBase64: string;

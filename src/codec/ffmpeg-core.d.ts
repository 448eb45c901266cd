// Types for @ffmpeg/core's ESM entry (the package ships none).
declare module '@ffmpeg/core' {
  const createFFmpegCore: import('./core.ts').CreateFFmpegCore;
  export default createFFmpegCore;
}

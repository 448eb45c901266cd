import type { Page } from '@playwright/test';

/** Plays the video at `url` in the page (muted, 4×) to its end: its size, and whether it got past 0.5 s. */
export function playToEnd(page: Page, url: string | null): Promise<{ width: number; height: number; reachedEnd: boolean }> {
  return page.evaluate(async (src) => {
    const video = document.createElement('video');
    video.muted = true;
    video.src = src!;
    await new Promise((resolve, reject) => { video.onloadedmetadata = resolve; video.onerror = () => reject(new Error('video error')); });
    const size = { width: video.videoWidth, height: video.videoHeight };
    video.playbackRate = 4;
    await video.play();
    await new Promise((resolve, reject) => { video.onended = resolve; video.onerror = () => reject(new Error('video error while playing')); });
    return { ...size, reachedEnd: video.currentTime > 0.5 };
  }, url);
}

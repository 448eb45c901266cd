/** What this page runs on, for a saved report: browser and version, cores, memory, isolation, commit, the scaler. */
import type { Environment } from './report-file.ts';
import { scalerKind, type ScalerKind } from '../../pipeline/scale/scaler.ts';

interface Brand { brand: string; version: string }
interface UaData {
  brands?: Brand[];
  platform?: string;
  getHighEntropyValues?(hints: string[]): Promise<{ fullVersionList?: Brand[]; platform?: string; platformVersion?: string; architecture?: string }>;
}
/** The parts of `navigator` read here (a parameter, so tests can pass their own). */
export interface NavigatorFacts {
  userAgent: string;
  hardwareConcurrency?: number;
  deviceMemory?: number;
  userAgentData?: UaData;
}

/** The app's commit, as built ('unknown' when built without git, or under a test runner). */
export function appCommit(): string {
  return typeof __APP_COMMIT__ === 'string' ? __APP_COMMIT__ : 'unknown';
}

/** Brands other than GREASE entries ("Not=A?Brand"), as "name version". */
function brandList(brands: readonly Brand[]): string {
  return brands.filter((b) => !/not.?a.?brand/i.test(b.brand)).map((b) => `${b.brand} ${b.version}`).join(', ');
}

export async function collectEnvironment(nav: NavigatorFacts, isolated: boolean, commit = appCommit(), scaler: ScalerKind = scalerKind()): Promise<Environment> {
  let browser = '';
  let platform: string | null = null;
  const ua = nav.userAgentData;
  if (ua) {
    try {
      const high = await ua.getHighEntropyValues?.(['fullVersionList', 'platformVersion', 'architecture']);
      if (high?.fullVersionList) browser = brandList(high.fullVersionList);
      if (high?.platform) platform = [high.platform, high.platformVersion, high.architecture].filter(Boolean).join(' ');
    } catch { /* refused: fall back to the low-entropy brands */ }
    if (!browser && ua.brands) browser = brandList(ua.brands);
    platform ??= ua.platform ?? null;
  }
  return {
    browser: browser || nav.userAgent,
    userAgent: nav.userAgent,
    platform,
    cores: typeof nav.hardwareConcurrency === 'number' ? nav.hardwareConcurrency : null,
    deviceMemoryGiB: typeof nav.deviceMemory === 'number' ? nav.deviceMemory : null,
    crossOriginIsolated: isolated,
    commit,
    scaler,
  };
}

/**
 * Mixpanel's hosts per data-residency region (docs/api-notes.md). A project lives in exactly one
 * region and answers only on that region's hosts.
 */
import type { MixpanelRegion } from '../../analyticsBackend';

export interface MixpanelHosts {
  /** Query API (`/api/query/...`) and the app API (`/api/app/...`, Lexicon). */
  query: string;
  /** Raw event export (`/api/2.0/export`). */
  export: string;
}

const HOSTS: Record<MixpanelRegion, MixpanelHosts> = {
  US: { query: 'https://mixpanel.com', export: 'https://data.mixpanel.com' },
  EU: { query: 'https://eu.mixpanel.com', export: 'https://data-eu.mixpanel.com' },
  IN: { query: 'https://in.mixpanel.com', export: 'https://data-in.mixpanel.com' },
};

export function mixpanelHosts(region: MixpanelRegion): MixpanelHosts {
  return HOSTS[region] ?? HOSTS.US;
}

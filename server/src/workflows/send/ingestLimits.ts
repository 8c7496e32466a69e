/**
 * The request limits of the ingestion APIs (docs/api-notes.md, "Mixpanel import" and "mParticle Events API"), shared by the senders and by
 * lint, which must not depend on the HTTP modules.
 */

/** Mixpanel `/import`: events per request. */
export const MIXPANEL_MAX_EVENTS_PER_REQUEST = 2000;
/** Mixpanel `/import`: uncompressed bytes per request. */
export const MIXPANEL_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** mParticle `/v2/bulkevents`: batches per request. */
export const MPARTICLE_MAX_BATCHES_PER_REQUEST = 100;
/** mParticle: total request size. */
export const MPARTICLE_MAX_REQUEST_BYTES = 256 * 1024;

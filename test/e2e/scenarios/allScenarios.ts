// The end-to-end scenarios: install, sample queries, results, sources and credentials, then the editor send and watch, and the pull.
import { propertyCompletion } from './completion';
import { comparePrevious } from './comparePrevious';
import { exportCsv } from './exportCsv';
import { hostileStrings } from './hostileStrings';
import { eventHover } from './hover';
import { limitQuickFix } from './limitQuickFix';
import { lintQuickFix } from './lintQuickFix';
import { mcpServer } from './mcpServer';
import { mixpanelCredentials } from './mixpanelCredentials';
import { mparticleSchema } from './mparticleSchema';
import { pullEvents } from './pullEvents';
import { restrictedMode } from './restrictedMode';
import { schemaDrift } from './schemaDrift';
import { runQueryFromCodeLens } from './runFromCodeLens';
import { sendMparticle } from './sendMparticle';
import { testExplorer } from './testExplorer';
import { watchRestart } from './watchRestart';
import type { Scenario } from './scenario';

export const ALL_SCENARIOS: readonly Scenario[] = [
  lintQuickFix,
  propertyCompletion,
  eventHover,
  runQueryFromCodeLens,
  mixpanelCredentials,
  hostileStrings,
  restrictedMode,
  exportCsv,
  sendMparticle,
  mparticleSchema,
  limitQuickFix,
  comparePrevious,
  watchRestart,
  pullEvents,
  mcpServer,
  testExplorer,
  schemaDrift,
];

/** Every command id the extension contributes; the same ids are declared in package.json. */
export const CommandId = {
  runQueryAtCursor: 'aq.runQueryAtCursor',
  runAllQueries: 'aq.runAllQueries',
  cancelQuery: 'aq.cancelQuery',
  selectSource: 'aq.selectSource',
  addMixpanelSource: 'aq.addMixpanelSource',
  addPiwikSource: 'aq.addPiwikSource',
  setCredentials: 'aq.setCredentials',
  clearCredentials: 'aq.clearCredentials',
  refreshSchema: 'aq.refreshSchema',
  showSchemaDrift: 'aq.showSchemaDrift',
  updateSchemaSnapshot: 'aq.updateSchemaSnapshot',
  showGeneratedRequest: 'aq.showGeneratedRequest',
  showGeneratedJql: 'aq.showGeneratedJql',
  exportResults: 'aq.exportResults',
  openQueryHistory: 'aq.openQueryHistory',
  openSamples: 'aq.openSamples',
  sendEvents: 'aq.sendEvents',
  pullEvents: 'aq.pullEvents',
  startWatching: 'aq.startWatching',
  stopWatching: 'aq.stopWatching',
  showWatches: 'aq.showWatches',
  setSlackWebhook: 'aq.setSlackWebhook',
  clearSlackWebhook: 'aq.clearSlackWebhook',
  restartServer: 'aq.restartServer',
  /** Internal: the outcome CodeLens opens the last result of its query. */
  showLastResult: 'aq.showLastResult',
  /** Internal: rewrites `limit` of a query whose last result it cut, then runs it again. */
  raiseLimit: 'aq.raiseLimit',
} as const;

export type CommandIdValue = (typeof CommandId)[keyof typeof CommandId];

// The installed VSIX validates mParticle batch files with its bundled JSON schema: a misspelt
// top-level field is reported in the Problems panel. This fails when the package lacks schemas/.
import assert from 'node:assert/strict';
import type { Scenario } from './scenario';

export const mparticleSchema: Scenario = {
  id: 'mparticle-schema',
  title: 'mParticle batch with a wrong field: the packaged JSON schema reports it in Problems',
  fixture: 'mparticle-schema',
  async run({ workbench }) {
    await workbench.openFile('checkout.mparticle.json');
    const problems = await workbench.waitForProblem(/user_atributes/);
    assert.match(problems, /not allowed/i, 'the schema rejects the unknown field');
    assert.doesNotMatch(problems, /environment|events/, 'the fields the schema knows are not reported');
  },
};
